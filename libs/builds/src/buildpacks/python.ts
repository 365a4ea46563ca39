import { BuildFailure } from './build-failure';
import { BuildPlan, BuildSettings, CA_BUNDLE_PATH, ImageSubject } from './build-plan';
import { APP_DIR, cmdLine, IMAGE_CA_BUNDLE, labelLine } from './containerfile';
import { execInPlace } from './nodejs';
import type { SourceTree } from './source-tree';

/**
 * The one Python the stack image has: Debian bookworm's python3 (scripts/stack-image.sh). A new
 * stack image with another Python changes this with its tag.
 */
export const STACK_PYTHON = { version: '3.11.2', minor: '3.11', from: 'Debian bookworm' };

/** Files that make a commit a Python app, in the order they are looked at. */
export const PYTHON_MARKERS = ['requirements.txt', 'pyproject.toml', 'setup.py', 'Pipfile'];

/** Where the app's packages are installed: a venv outside /app, so a pushed .venv cannot shadow it. */
export const VENV_DIR = '/venv';

/**
 * Build arguments through which the builder can hand build steps another way to the index than
 * the configured URL (an index on the host's loopback is reached through the build network's
 * gateway: BuildNetwork). Their defaults are the configured index.
 */
export const PIP_INDEX_ARG = 'BERTH_PIP_INDEX_URL';
export const PIP_TRUSTED_HOST_ARG = 'BERTH_PIP_TRUSTED_HOST';

/** The host pip must be told to trust for a plain-HTTP index (pip ignores such an index otherwise), or ''. */
export function trustedHostOf(indexUrl: string): string {
  const url = new URL(indexUrl);
  return url.protocol === 'http:' ? url.hostname : '';
}

/** Whether the commit looks like a Python app. */
export async function isPython(tree: SourceTree): Promise<boolean> {
  for (const file of PYTHON_MARKERS) if (await tree.isFile(file)) return true;
  return false;
}

/** Python: requirements.txt, pyproject.toml or setup.py at the root, installed with pip into a venv. */
export async function planPython(tree: SourceTree, subject: ImageSubject, settings: BuildSettings, procfile: Record<string, string> | null): Promise<BuildPlan> {
  const requirements = await tree.read('requirements.txt');
  const pyproject = await tree.read('pyproject.toml');
  const setupPy = await tree.isFile('setup.py');
  if (requirements === null && pyproject === null && !setupPy) {
    throw new BuildFailure(
      'Berth saw a Pipfile: Pipenv projects are not built by Berth. Write the dependencies to a requirements.txt (e.g. `pipenv requirements > requirements.txt`), commit it, and push again.',
    );
  }
  const python = await pythonVersion(tree, pyproject);
  const deps = new Set([...requirementNames(requirements ?? ''), ...pyprojectDependencies(pyproject ?? '')]);

  const install = installPlan(requirements !== null, pyproject, setupPy);
  const django = await djangoProject(tree, deps);
  const web = procfile?.web ? { command: execInPlace(procfile.web), why: 'Procfile' } : await detectWeb(tree, deps, django);
  if (!procfile && !web) {
    throw new BuildFailure(
      'No web process: Berth found no Procfile and no app it knows how to serve (a Django project with manage.py, or app.py, main.py or wsgi.py defining a Flask or FastAPI `app`, with gunicorn or uvicorn among the dependencies). ' +
        'Add a Procfile with a web process, e.g. "web: gunicorn app:app" (gunicorn listens on $PORT by itself), and push again.',
    );
  }
  const processTypes: Record<string, string> = procfile ? Object.fromEntries(Object.entries(procfile).map(([type, command]) => [type, execInPlace(command)])) : {};
  if (web) processTypes.web = web.command;

  const collectstatic = django?.staticRoot ? `RUN python manage.py collectstatic --noinput` : null;
  const files: Record<string, string> = {};
  const env: Record<string, string> = {
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
    PIP_NO_CACHE_DIR: '1',
    PIP_NO_INPUT: '1',
    PYTHONUNBUFFERED: '1',
  };
  const trust: string[] = [];
  if (settings.caBundle) {
    files[CA_BUNDLE_PATH] = settings.caBundle;
    trust.push(`COPY ${CA_BUNDLE_PATH} ${IMAGE_CA_BUNDLE}`);
    Object.assign(env, { PIP_CERT: IMAGE_CA_BUNDLE, SSL_CERT_FILE: IMAGE_CA_BUNDLE, REQUESTS_CA_BUNDLE: IMAGE_CA_BUNDLE, CURL_CA_BUNDLE: IMAGE_CA_BUNDLE });
  }
  const pip = `pip install --index-url "$${PIP_INDEX_ARG}" \${${PIP_TRUSTED_HOST_ARG}:+--trusted-host "$${PIP_TRUSTED_HOST_ARG}"}`;
  const lines = [
    `FROM ${settings.stackImage}`,
    ...trust,
    `ENV ${Object.entries(env).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}`,
    `ARG ${PIP_INDEX_ARG}=${JSON.stringify(settings.pipIndexUrl)}`,
    `ARG ${PIP_TRUSTED_HOST_ARG}=${JSON.stringify(trustedHostOf(settings.pipIndexUrl))}`,
    `RUN mkdir -p ${APP_DIR} ${VENV_DIR} && chown app:app ${APP_DIR} ${VENV_DIR}`,
    `WORKDIR ${APP_DIR}`,
    'USER app',
    `# Python ${STACK_PYTHON.minor} from the stack image (${STACK_PYTHON.from}); packages go into a venv at ${VENV_DIR}.`,
    `RUN python3 -m venv ${VENV_DIR} && ${VENV_DIR}/bin/python --version`,
    `ENV VIRTUAL_ENV=${VENV_DIR} PATH=${VENV_DIR}/bin:$PATH`,
    // requirements.txt alone installs before the source is copied, so a source-only push reuses the layer.
    ...(install.first ? [`COPY --chown=app:app requirements.txt ./`, `RUN ${pip} -r requirements.txt`, 'COPY --chown=app:app . .'] : ['COPY --chown=app:app . .']),
    ...(install.project ? [`RUN ${pip} ${install.project}`] : []),
    ...(collectstatic ? [collectstatic] : []),
    labelLine(subject),
    cmdLine(processTypes.web ?? Object.values(processTypes)[0]),
  ];

  const notes = [
    `Python ${STACK_PYTHON.minor} (${python.why})`,
    `Installing packages with pip into a venv at ${VENV_DIR}: ${install.why}; index ${settings.pipIndexUrl} (BUILD_PIP_INDEX_URL)`,
    ...(django ? [django.staticRoot ? `Django project ${django.project}: python manage.py collectstatic --noinput (STATIC_ROOT is set in ${django.settingsFile})` : `Django project ${django.project}: collectstatic skipped, ${django.settingsFile ? `${django.settingsFile} sets no STATIC_ROOT` : 'no settings module found'}`] : []),
    ...(web ? [`web: ${web.command} (${web.why})`] : []),
  ];
  return {
    buildpack: 'python',
    detected: `Python app detected: ${[requirements !== null ? 'requirements.txt' : null, pyproject !== null ? 'pyproject.toml' : null, setupPy ? 'setup.py' : null].filter(Boolean).join(' and ')} at the root`,
    notes,
    containerfile: `${lines.join('\n')}\n`,
    files,
    processTypes,
  };
}

/** What pip installs: requirements.txt first (cached apart from the source), then the project itself when it is a package. */
function installPlan(hasRequirements: boolean, pyproject: string | null, setupPy: boolean): { first: boolean; project: string | null; why: string } {
  // A pyproject.toml with only tool settings (black, ruff ...) is no package to install.
  const isPackage = setupPy || (pyproject !== null && /^\s*\[(project|build-system)\]/m.test(pyproject));
  if (hasRequirements) return { first: true, project: null, why: isPackage ? 'pip install -r requirements.txt (the project itself is not installed; requirements.txt lists what runs)' : 'pip install -r requirements.txt' };
  if (isPackage) return { first: false, project: '.', why: `pip install . (${setupPy ? 'setup.py' : 'pyproject.toml'}; no requirements.txt)` };
  throw new BuildFailure(
    'pyproject.toml has no [project] or [build-system] table, so there is nothing for pip to install, and there is no requirements.txt. Add the dependencies to a requirements.txt (or a [project] table with dependencies = [...]), and push again.',
  );
}

/** Lower-case, "-"-joined distribution names (PEP 503) of a requirements file; options and includes are skipped. */
export function requirementNames(text: string): string[] {
  const names: string[] = [];
  for (const raw of text.replace(/\r\n/g, '\n').replace(/\\\n/g, ' ').split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line || line.startsWith('-')) continue;
    const egg = /#egg=([A-Za-z0-9._-]+)/.exec(raw);
    const match = egg ?? /^([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(line);
    if (match) names.push(normalize(match[1]));
  }
  return names;
}

/** Names in pyproject.toml's [project] dependencies = [...] (and Poetry's [tool.poetry.dependencies] keys). */
export function pyprojectDependencies(text: string): string[] {
  const names: string[] = [];
  const list = /^\s*dependencies\s*=\s*\[([\s\S]*?)\]/m.exec(text);
  if (list) for (const item of list[1].matchAll(/["']\s*([A-Za-z0-9][A-Za-z0-9._-]*)/g)) names.push(normalize(item[1]));
  const poetry = /^\[tool\.poetry\.dependencies\]\s*\n([\s\S]*?)(?=^\[|$(?![\s\S]))/m.exec(text);
  if (poetry) for (const item of poetry[1].matchAll(/^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*=/gm)) names.push(normalize(item[1]));
  return names;
}

const normalize = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-');

/** What the app asks for, checked against the stack's Python: runtime.txt, .python-version, requires-python. */
async function pythonVersion(tree: SourceTree, pyproject: string | null): Promise<{ why: string }> {
  const available = `Berth builds Python apps with Python ${STACK_PYTHON.minor} only (${STACK_PYTHON.version}, from ${STACK_PYTHON.from} in the stack image)`;
  const runtime = (await tree.read('runtime.txt'))?.trim();
  if (runtime) {
    const match = /^python-(\d+)\.(\d+)(?:\.\d+)?$/.exec(runtime);
    if (!match) throw new BuildFailure(`runtime.txt says "${runtime.slice(0, 40)}", which is not a Python version such as python-${STACK_PYTHON.minor}. ${available}: write python-${STACK_PYTHON.minor} there, or delete the file.`);
    if (`${match[1]}.${match[2]}` !== STACK_PYTHON.minor) {
      throw new BuildFailure(`runtime.txt asks for Python ${match[1]}.${match[2]} ("${runtime}"). ${available}: change runtime.txt to python-${STACK_PYTHON.minor} if the app runs on it (or delete it), or add a Dockerfile that installs the Python it needs.`);
    }
    return { why: `runtime.txt "${runtime}"` };
  }
  const pinned = (await tree.read('.python-version'))
    ?.split('\n')
    .map((line) => line.trim())
    .find((line) => line && !line.startsWith('#'));
  if (pinned) {
    const match = /^(?:python-?|cpython-?)?(\d+)(?:\.(\d+))?(?:\.\d+)?$/.exec(pinned);
    const minor = match ? `${match[1]}${match[2] !== undefined ? `.${match[2]}` : ''}` : null;
    if (minor === null || (minor !== STACK_PYTHON.minor && minor !== STACK_PYTHON.minor.split('.')[0])) {
      throw new BuildFailure(`.python-version asks for Python ${pinned.slice(0, 40)}. ${available}: change .python-version to ${STACK_PYTHON.minor} if the app runs on it (or delete it), or add a Dockerfile that installs the Python it needs.`);
    }
    return { why: `.python-version "${pinned}"` };
  }
  const requires = pyproject ? /^\s*requires-python\s*=\s*["']([^"']*)["']/m.exec(pyproject)?.[1] : undefined;
  if (requires !== undefined) {
    if (!satisfies(STACK_PYTHON.version, requires)) {
      throw new BuildFailure(`pyproject.toml's requires-python "${requires}" does not admit Python ${STACK_PYTHON.version}. ${available}: widen requires-python (e.g. ">=${STACK_PYTHON.minor}") if the app runs on it, or add a Dockerfile that installs the Python it needs.`);
    }
    return { why: `requires-python "${requires}" in pyproject.toml admits ${STACK_PYTHON.version}` };
  }
  return { why: `the stack image's; pin it with a .python-version of ${STACK_PYTHON.minor}` };
}

/** Whether a version satisfies a PEP 440 specifier set (the operators apps use: ==, !=, >=, <=, >, <, ~=, with .* wildcards). */
export function satisfies(version: string, specifiers: string): boolean {
  const parts = (v: string) => v.split('.').map((n) => Number(n));
  const compare = (a: number[], b: number[]) => {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const d = (a[i] ?? 0) - (b[i] ?? 0);
      if (d) return Math.sign(d);
    }
    return 0;
  };
  const have = parts(version);
  return specifiers
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .every((spec) => {
      const match = /^(===|==|!=|~=|>=|<=|>|<)\s*([0-9]+(?:\.[0-9]+)*)(\.\*)?$/.exec(spec);
      if (!match) throw new BuildFailure(`pyproject.toml's requires-python has "${spec}", which Berth cannot read; write it as ">=${STACK_PYTHON.minor}" or similar.`);
      const [, op, base, wildcard] = match;
      const want = parts(base);
      const prefixEqual = compare(have.slice(0, want.length), want) === 0;
      switch (op) {
        case '==':
        case '===':
          return wildcard ? prefixEqual : compare(have, want) === 0;
        case '!=':
          return wildcard ? !prefixEqual : compare(have, want) !== 0;
        case '>=':
          return compare(have, want) >= 0;
        case '<=':
          return compare(have, want) <= 0;
        case '>':
          return compare(have, want) > 0;
        case '<':
          return compare(have, want) < 0;
        default: {
          // ~=3.11 means >=3.11, ==3.*; ~=3.11.1 means >=3.11.1, ==3.11.*
          const prefix = want.slice(0, Math.max(1, want.length - 1));
          return compare(have, want) >= 0 && compare(have.slice(0, prefix.length), prefix) === 0;
        }
      }
    });
}

interface Django {
  /** The package holding settings.py and wsgi.py: "mysite". */
  project: string;
  settingsFile: string | null;
  staticRoot: boolean;
  wsgi: boolean;
  asgi: boolean;
}

/** A Django project: manage.py at the root, django among the dependencies; its settings module from manage.py. */
async function djangoProject(tree: SourceTree, deps: Set<string>): Promise<Django | null> {
  const manage = await tree.read('manage.py');
  if (manage === null || !deps.has('django')) return null;
  const module = /DJANGO_SETTINGS_MODULE['"]\s*,\s*['"]([A-Za-z_][\w.]*)['"]/.exec(manage)?.[1] ?? null;
  const project = module ? module.split('.')[0] : null;
  if (!project) return { project: '(unknown: manage.py sets no DJANGO_SETTINGS_MODULE)', settingsFile: null, staticRoot: false, wsgi: false, asgi: false };
  const path = module!.replace(/\./g, '/');
  let settingsFile: string | null = null;
  let staticRoot = false;
  for (const candidate of [`${path}.py`, `${path}/__init__.py`, `${path}/base.py`, `${path}/production.py`]) {
    const text = await tree.read(candidate);
    if (text === null) continue;
    settingsFile ??= candidate;
    if (/^\s*STATIC_ROOT\s*=/m.test(text)) [settingsFile, staticRoot] = [candidate, true];
    if (staticRoot) break;
  }
  return { project, settingsFile, staticRoot, wsgi: await tree.isFile(`${project}/wsgi.py`), asgi: await tree.isFile(`${project}/asgi.py`) };
}

const WSGI_FILES = ['app.py', 'wsgi.py', 'main.py', 'application.py', 'server.py'];

/**
 * The web command when there is no Procfile web process: a Django project's wsgi (or asgi)
 * module, or a module at the root defining a Flask/FastAPI/Starlette `app` (or a WSGI
 * `application`), served by gunicorn or uvicorn when they are dependencies. Both listen on
 * $PORT, which the runtime sets.
 */
async function detectWeb(tree: SourceTree, deps: Set<string>, django: Django | null): Promise<{ command: string; why: string } | null> {
  const gunicorn = deps.has('gunicorn');
  const uvicorn = deps.has('uvicorn');
  const needServer = (what: string, server: string) =>
    new BuildFailure(`${what}, but ${server} is not among the dependencies, so Berth has no production server to run it with. Add ${server} to requirements.txt, or add a Procfile with a web process, and push again.`);
  if (django) {
    if (!django.wsgi && !django.asgi) return null;
    if (gunicorn && django.wsgi) return { command: `exec gunicorn ${django.project}.wsgi --bind "0.0.0.0:$PORT"`, why: `Django project ${django.project} (manage.py), served by gunicorn` };
    if (uvicorn && django.asgi) return { command: `exec uvicorn ${django.project}.asgi:application --host 0.0.0.0 --port "$PORT"`, why: `Django project ${django.project} (manage.py), served by uvicorn` };
    throw needServer(`Berth found the Django project ${django.project} (manage.py and ${django.project}/${django.wsgi ? 'wsgi' : 'asgi'}.py)`, django.wsgi ? 'gunicorn' : 'uvicorn');
  }
  for (const file of WSGI_FILES) {
    const text = await tree.read(file);
    if (text === null) continue;
    const module = file.replace(/\.py$/, '');
    const asgi = /^(\w+)\s*=\s*(?:fastapi\.)?(FastAPI|Starlette|Quart)\s*\(/m.exec(text);
    if (asgi) {
      if (!uvicorn) throw needServer(`Berth found a ${asgi[2]} app (\`${asgi[1]}\` in ${file})`, 'uvicorn');
      return { command: `exec uvicorn ${module}:${asgi[1]} --host 0.0.0.0 --port "$PORT"`, why: `${asgi[2]} app \`${asgi[1]}\` in ${file}, served by uvicorn` };
    }
    const wsgi = /^(\w+)\s*=\s*(?:flask\.)?(Flask|Bottle|falcon\.App)\s*\(/m.exec(text) ?? /^(application)\s*=/m.exec(text);
    if (wsgi) {
      const what = wsgi[2] ? `${wsgi[2]} app` : 'WSGI application';
      if (!gunicorn) throw needServer(`Berth found a ${what} (\`${wsgi[1]}\` in ${file})`, 'gunicorn');
      return { command: `exec gunicorn ${module}:${wsgi[1]} --bind "0.0.0.0:$PORT"`, why: `${what} \`${wsgi[1]}\` in ${file}, served by gunicorn` };
    }
  }
  return null;
}
