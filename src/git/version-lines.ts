// Is a commit only a version bump? Pure: decided from its file names and its `-U0` patch.

/** Files that hold nothing but a version: any change to them is a version change. */
const PURE_VERSION_FILES = new Set(['VERSION', 'version', 'version.txt', 'VERSION.txt', '.version']);

/** Files where a version line sits among other content: only their version lines may change. */
const VERSIONED_FILES = new Set([
  'package.json',
  'package-lock.json',
  'npm-shrinkwrap.json',
  'lerna.json',
  'composer.json',
  'manifest.json',
  'pom.xml',
  'build.gradle',
  'build.gradle.kts',
  'gradle.properties',
  'version.properties',
  'Cargo.toml',
  'Cargo.lock',
  'pyproject.toml',
  'setup.py',
  'setup.cfg',
  'Chart.yaml',
  'mix.exs',
  'Directory.Build.props',
  'AssemblyInfo.cs',
  'CMakeLists.txt',
  'meson.build',
  'configure.ac',
]);

const basename = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

export function isVersionFile(path: string): boolean {
  const b = basename(path);
  return PURE_VERSION_FILES.has(b) || VERSIONED_FILES.has(b) || b.endsWith('.csproj') || b.endsWith('.podspec');
}

// `"version": "1.7.1",`  `version = "1.7.1"`  `version=1.7.1`  `versionName "1.7.1"`  `appVersion: 1.7.1`
const KEY_VALUE = /^\s*["']?[\w.-]*(?:version|revision)[\w.-]*["']?\s*(?:[:=]\s*|\s+)["']?[\w.+-]*["']?\s*[,;]?\s*$/i;
// `<version>1.7.1</version>`  `<revision>1.7.1</revision>`  `<Version>1.7.1</Version>`
const XML = /^\s*<([\w.-]*(?:version|revision)[\w.-]*)>[^<]*<\/\1>\s*$/i;
// `project(app VERSION 1.7.1)`  `AC_INIT([app], [1.7.1])`  `[assembly: AssemblyVersion("1.7.1")]`
const CALL =
  /^\s*(?:project\(.*\bVERSION\s+[\w.+-]+.*\)|AC_INIT\(.*\)|\[assembly:\s*Assembly\w*Version\("[^"]*"\)\])\s*$/;

export function isVersionLine(line: string): boolean {
  return line.trim() === '' || KEY_VALUE.test(line) || XML.test(line) || CALL.test(line);
}

/**
 * True when every file is a version file and every changed line (of `git show -U0` output) is a
 * version line, or belongs to a file that holds only a version (VERSION).
 */
export function isVersionOnly(files: readonly string[], patch: string): boolean {
  if (files.length === 0 || !files.every(isVersionFile)) return false;
  let current = '';
  let header = false;
  let changed = 0;
  for (const line of patch.split('\n')) {
    if (line.startsWith('diff --git ')) {
      header = true;
      current = '';
      continue;
    }
    if (header) {
      if (line.startsWith('+++ ') || line.startsWith('--- ')) {
        const p = line.slice(4);
        if (p !== '/dev/null') current = p.replace(/^[ab]\//, '');
        if (line.startsWith('+++ ')) header = false;
        continue;
      }
      if (line.startsWith('Binary files')) return false;
      if (!line.startsWith('@@')) continue;
      header = false;
    }
    if (line.startsWith('@@') || line.startsWith('\\')) continue;
    if (line.startsWith('+') || line.startsWith('-')) {
      changed++;
      if (PURE_VERSION_FILES.has(basename(current))) continue;
      if (!isVersionLine(line.slice(1))) return false;
    }
  }
  return changed > 0;
}
