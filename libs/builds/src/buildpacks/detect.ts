import { BuildFailure } from './build-failure';
import { BuildPlan, BuildSettings, ImageSubject } from './build-plan';
import { findDockerfile, planDockerfile } from './dockerfile';
import { NodeRuntimes, planNodejs } from './nodejs';
import { parseProcfile } from './procfile';
import { isPython, planPython } from './python';
import type { SourceTree } from './source-tree';
import { planStatic, staticRoot } from './static-site';

/** What Berth builds, in the order it looks. */
const BUILDS = [
  '  - a Dockerfile or Containerfile at the root (built as given)',
  '  - a package.json at the root (Node.js)',
  '  - a requirements.txt, pyproject.toml or setup.py at the root (Python)',
  '  - an index.html at the root or in public/ (static site)',
];

export const NOTHING_DETECTED = ['No buildpack matches this commit. Berth looked for, in this order:', ...BUILDS, 'Add one of them and push again.'].join('\n');

const PYTHON_FILES = new Set(['requirements.txt', 'Pipfile', 'pyproject.toml', 'setup.py']);

/** Files at the root that say what a commit is, in the order they are reported. */
const MARKERS: { file: string; language?: string }[] = [
  { file: 'Dockerfile' },
  { file: 'Containerfile' },
  { file: 'package.json' },
  { file: 'index.html' },
  { file: 'public/index.html' },
  { file: 'requirements.txt', language: 'Python' },
  { file: 'Pipfile', language: 'Python' },
  { file: 'pyproject.toml', language: 'Python' },
  { file: 'setup.py', language: 'Python' },
  { file: 'Gemfile', language: 'Ruby' },
  { file: 'go.mod', language: 'Go' },
  { file: 'composer.json', language: 'PHP' },
  { file: 'pom.xml', language: 'Java' },
  { file: 'build.gradle', language: 'Java' },
  { file: 'build.gradle.kts', language: 'Java' },
  { file: 'Cargo.toml', language: 'Rust' },
  { file: 'mix.exs', language: 'Elixir' },
  { file: 'deno.json', language: 'Deno' },
  { file: 'Procfile' },
];

/** "requirements.txt, Gemfile and a Procfile". */
function listSeen(files: string[]): string {
  const named = files.map((file) => (file === 'Procfile' ? 'a Procfile' : file));
  return named.length > 1 ? `${named.slice(0, -1).join(', ')} and ${named.at(-1)}` : named[0];
}

/** Why nothing matched, starting with what Berth saw: "Berth saw Gemfile and a Procfile; Ruby apps are not supported ..." */
export function nothingDetected(seen: string[], stackImage: string): string {
  const languages = [...new Set(MARKERS.filter((m) => m.language && seen.includes(m.file)).map((m) => m.language as string))];
  if (!languages.length) return seen.length ? `Berth saw ${listSeen(seen)}, but nothing it builds from.\n${NOTHING_DETECTED}` : NOTHING_DETECTED;
  return [
    `Berth saw ${listSeen(seen)}; ${languages.join(' and ')} apps are not supported by this Berth yet.`,
    'It builds, in this order:',
    ...BUILDS,
    `To deploy this app now, add a Dockerfile that installs and starts it (for example FROM ${stackImage} or another image on the build host), and push again.`,
  ].join('\n');
}

/**
 * Chooses a buildpack for a commit and plans its image. Order matters: a Dockerfile wins over
 * package.json (the app said how to build), package.json over Python's files (one buildpack per
 * app; a Dockerfile can build both), and both over index.html (an app may ship an index.html it
 * builds from).
 */
export async function detect(tree: SourceTree, subject: ImageSubject, settings: BuildSettings, runtimes: NodeRuntimes): Promise<BuildPlan> {
  const procfileText = await tree.read('Procfile');
  let procfile: Record<string, string> | null = null;
  if (procfileText !== null) {
    const parsed = parseProcfile(procfileText);
    if (!parsed.ok) throw new BuildFailure(`Invalid Procfile: ${parsed.problem}`);
    procfile = parsed.types;
  }

  const seen: string[] = [];
  for (const { file } of MARKERS) if (await tree.isFile(file)) seen.push(file);
  const dockerfile = await findDockerfile(tree);
  let plan: BuildPlan;
  let why: string;
  if (dockerfile) [plan, why] = [await planDockerfile(dockerfile, subject, settings, procfile), `the ${dockerfile.name}, which comes first (the app says how to build itself)`];
  else if (await tree.isFile('package.json')) [plan, why] = [
      await planNodejs(tree, subject, settings, runtimes, procfile),
      `package.json and no Dockerfile: Node.js${seen.some((file) => PYTHON_FILES.has(file)) ? ' (package.json comes before the Python files; to build the Python app, add a Dockerfile or move package.json out of the root)' : ''}`,
    ];
  else if (await isPython(tree)) [plan, why] = [await planPython(tree, subject, settings, procfile), `${seen.filter((file) => PYTHON_FILES.has(file)).join(' and ')} and no Dockerfile or package.json: Python`];
  else {
    const root = await staticRoot(tree);
    if (root === null) throw new BuildFailure(nothingDetected(seen, settings.stackImage));
    [plan, why] = [planStatic(root, subject, settings, procfile), 'an index.html and no Dockerfile or package.json: a static site'];
  }
  return { ...plan, notes: [`Berth saw ${listSeen(seen)}; it builds by ${why}`, ...plan.notes] };
}
