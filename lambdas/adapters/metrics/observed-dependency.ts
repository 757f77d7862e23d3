import type { Observability } from '../../core/observability.ts';
import { failureKind } from '../aws/failure-kind.ts';

/**
 * `target` with every failed asynchronous call counted as a failure of `dependency`, transient or
 * permanent (failure-kind.ts), and the error passed on unchanged: the caller still decides what to
 * do and log. For adapters whose errors do not name their dependency (the claims table, a queue).
 */
export function observedDependency<T extends object>(target: T, dependency: string, observability: Observability): T {
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        const result: unknown = value.apply(object, args);
        if (!(result instanceof Promise)) return result;
        return result.catch((error: unknown) => {
          observability.dependencyFailed(dependency, failureKind(error));
          throw error;
        });
      };
    },
  });
}
