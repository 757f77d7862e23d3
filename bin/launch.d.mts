// Types for bin/launch.mjs (plain JavaScript so that it runs on the machine's older Node).
export type Version = [major: number, minor: number, patch: number];
export function parseVersion(text: string): Version | undefined;
export function minimumNode(enginesNode: string | undefined): Version | undefined;
export function isNewEnough(version: string, enginesNode: string | undefined): boolean;
export function chooseNode(input: {
  runningVersion: string;
  enginesNode: string | undefined;
  cachedVersion: string | undefined;
}): 'running' | 'cached' | 'fetch';
export function installReason(input: {
  nodeModulesExists: boolean;
  installedMtimeMs: number | undefined;
  lockMtimeMs: number;
  insideLaunch?: boolean;
}): string | null;
export function nodePackage(enginesNode: string): { spec: string; folder: string };
export function exitStatus(ended: { code: number | null; signal: NodeJS.Signals | null }):
  | { signal: NodeJS.Signals }
  | { code: number };
