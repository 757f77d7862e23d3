import { ConfigurationError } from '../../lambdas/core/errors.ts';

/** The problems `check` reports by throwing a ConfigurationError, or [] when it passes; any other error is rethrown. */
export function configurationProblems(check: () => unknown): readonly string[] {
  try {
    check();
    return [];
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
}
