/** Types for bin/build.mjs (plain JavaScript, so it runs before anything is compiled). */
export const root: string;
export const distDir: string;
export const viewerModule: string;
export const viewerEntry: string;
export const entries: string[];
export function entryName(source: string): string;
export interface Build {
  /** The build folder. */
  dir: string;
  /** The CLI's entry in it. */
  cli: string;
}
export function currentBuild(): Build | undefined;
export function ensureBuild(): Promise<Build>;
export function build(): Promise<Build>;
export const keepModuleUrl: import("esbuild").Plugin;
export function buildViewerJs(): Promise<string>;
export function viewerModuleSource(js: string): string;
