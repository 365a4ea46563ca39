import { BuildFailure } from './build-failure';
import { BuildSettings, ImageSubject } from './build-plan';
import { detect } from './detect';
import { NodeRuntimes } from './nodejs';
import { requirementNames, satisfies, trustedHostOf } from './python';
import { MemoryTree } from './source-tree';

const subject: ImageSubject = { appName: 'blog', appId: '22222222-2222-2222-2222-222222222222', installId: 'berth-test', envName: 'production', commitSha: 'b'.repeat(40), buildId: '11111111-1111-1111-1111-111111111111' };
const settings: BuildSettings = { stackImage: 'localhost/berth/stack:test', caBundle: 'PEM', npmRegistry: 'https://registry.example/', pipIndexUrl: 'http://127.0.0.1:3141/simple/', nodeVersion: '24.x' };
const noNode: NodeRuntimes = { resolve: () => Promise.reject(new Error('a Python app asks for no Node.js')) };

const plan = (files: Record<string, string>) => detect(new MemoryTree(files), subject, settings, noNode);
const failure = async (files: Record<string, string>) => {
  try {
    await plan(files);
  } catch (error) {
    expect(error).toBeInstanceOf(BuildFailure);
    return (error as Error).message;
  }
  throw new Error('expected the build to fail');
};

const flask = 'from flask import Flask\n\napp = Flask(__name__)\n';
const manage = "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\n";

describe('Python buildpack', () => {
  it('installs requirements.txt into a venv before copying the source, from the configured index, trusting the CA bundle', async () => {
    const result = await plan({ 'requirements.txt': 'greeting==1.0\n', Procfile: 'web: python app.py', 'app.py': '' });
    expect(result.buildpack).toBe('python');
    expect(result.detected).toBe('Python app detected: requirements.txt at the root');
    expect(result.notes[0]).toBe('Berth saw requirements.txt and a Procfile; it builds by requirements.txt and no Dockerfile or package.json: Python');
    expect(result.processTypes).toEqual({ web: 'exec python app.py' });
    expect(result.files['.berth/ca-bundle.crt']).toBe('PEM');
    const file = result.containerfile;
    expect(file).toContain('ENV PIP_DISABLE_PIP_VERSION_CHECK="1" PIP_NO_CACHE_DIR="1" PIP_NO_INPUT="1" PYTHONUNBUFFERED="1" PIP_CERT="/etc/berth/ca-bundle.crt"');
    expect(file).toContain('ARG BERTH_PIP_INDEX_URL="http://127.0.0.1:3141/simple/"\nARG BERTH_PIP_TRUSTED_HOST="127.0.0.1"');
    expect(file).toMatch(/USER app\n# Python 3\.11 [^\n]*\nRUN python3 -m venv \/venv && \/venv\/bin\/python --version\nENV VIRTUAL_ENV=\/venv PATH=\/venv\/bin:\$PATH\n/);
    expect(file).toContain(
      'COPY --chown=app:app requirements.txt ./\nRUN pip install --index-url "$BERTH_PIP_INDEX_URL" ${BERTH_PIP_TRUSTED_HOST:+--trusted-host "$BERTH_PIP_TRUSTED_HOST"} -r requirements.txt\nCOPY --chown=app:app . .\nLABEL',
    );
    expect(file).toMatch(/CMD \["\/bin\/sh","-c","exec python app.py"\]\n$/);
  });

  it('installs a pyproject.toml package with pip install . when there is no requirements.txt', async () => {
    const result = await plan({ 'pyproject.toml': '[project]\nname = "svc"\ndependencies = ["uvicorn>=0.30", "FastAPI"]\n', 'main.py': 'import fastapi\napp = FastAPI()\n' });
    expect(result.containerfile).toMatch(/COPY --chown=app:app \. \.\nRUN pip install [^\n]* \.\n/);
    expect(result.processTypes).toEqual({ web: 'exec uvicorn main:app --host 0.0.0.0 --port "$PORT"' });
    expect(await failure({ 'pyproject.toml': '[tool.black]\nline-length = 100\n' })).toMatch(/^pyproject.toml has no \[project\] or \[build-system\] table/);
  });

  it('refuses a Pipfile-only project, saying what to commit instead', async () => {
    expect(await failure({ Pipfile: '[packages]\nflask = "*"\n' })).toMatch(/^Berth saw a Pipfile: Pipenv projects are not built by Berth\. .*pipenv requirements > requirements\.txt/);
  });

  it('serves a Flask app with gunicorn when it is a dependency, and says what is missing when it is not', async () => {
    const result = await plan({ 'requirements.txt': 'Flask==3.0\ngunicorn  # server\n', 'app.py': flask });
    expect(result.processTypes).toEqual({ web: 'exec gunicorn app:app --bind "0.0.0.0:$PORT"' });
    expect(result.notes).toContain('web: exec gunicorn app:app --bind "0.0.0.0:$PORT" (Flask app `app` in app.py, served by gunicorn)');
    expect(await failure({ 'requirements.txt': 'flask\n', 'app.py': flask })).toMatch(/^Berth found a Flask app \(`app` in app\.py\), but gunicorn is not among the dependencies.*Add gunicorn to requirements\.txt, or add a Procfile/);
    expect(await failure({ 'requirements.txt': 'requests\n', 'job.py': '' })).toMatch(/^No web process: Berth found no Procfile and no app it knows how to serve/);
  });

  it('serves a Django project with gunicorn and runs collectstatic only when STATIC_ROOT is set', async () => {
    const files = { 'requirements.txt': 'Django>=5\ngunicorn\n', 'manage.py': manage, 'mysite/wsgi.py': '', 'mysite/settings.py': "STATIC_URL = 'static/'\nSTATIC_ROOT = BASE_DIR / 'staticfiles'\n" };
    const result = await plan(files);
    expect(result.processTypes).toEqual({ web: 'exec gunicorn mysite.wsgi --bind "0.0.0.0:$PORT"' });
    expect(result.containerfile).toMatch(/COPY --chown=app:app \. \.\nRUN python manage.py collectstatic --noinput\nLABEL/);
    expect(result.notes).toContain('Django project mysite: python manage.py collectstatic --noinput (STATIC_ROOT is set in mysite/settings.py)');

    const without = await plan({ ...files, 'mysite/settings.py': "STATIC_URL = 'static/'\n" });
    expect(without.containerfile).not.toContain('collectstatic');
    expect(without.notes).toContain('Django project mysite: collectstatic skipped, mysite/settings.py sets no STATIC_ROOT');
    expect(await failure({ ...files, 'requirements.txt': 'django\n' })).toMatch(/^Berth found the Django project mysite \(manage\.py and mysite\/wsgi\.py\), but gunicorn is not among the dependencies/);
  });

  it('keeps every Procfile process type and the web one over a detected app', async () => {
    const result = await plan({ 'requirements.txt': 'flask\ngunicorn\n', 'app.py': flask, Procfile: 'web: gunicorn app:app -w 2\nworker: python worker.py\n' });
    expect(result.processTypes).toEqual({ web: 'exec gunicorn app:app -w 2', worker: 'exec python worker.py' });
  });

  it('refuses a Python the stack image does not have, naming the one it has and what to change', async () => {
    const base = { 'requirements.txt': 'flask\n', Procfile: 'web: python app.py' };
    expect(await failure({ ...base, 'runtime.txt': 'python-3.12.4\n' })).toBe(
      'runtime.txt asks for Python 3.12 ("python-3.12.4"). Berth builds Python apps with Python 3.11 only (3.11.2, from Debian bookworm in the stack image): change runtime.txt to python-3.11 if the app runs on it (or delete it), or add a Dockerfile that installs the Python it needs.',
    );
    expect(await failure({ ...base, '.python-version': '3.13\n' })).toMatch(/^\.python-version asks for Python 3\.13\. Berth builds Python apps with Python 3\.11 only .*change \.python-version to 3\.11/);
    expect(await failure({ ...base, 'pyproject.toml': '[project]\nname = "x"\nrequires-python = ">=3.12"\n' })).toMatch(/^pyproject\.toml's requires-python ">=3\.12" does not admit Python 3\.11\.2\. .*widen requires-python/);
    expect((await plan({ ...base, 'runtime.txt': 'python-3.11.9' })).notes[1]).toBe('Python 3.11 (runtime.txt "python-3.11.9")');
    expect((await plan({ ...base, '.python-version': '3.11' })).notes[1]).toBe('Python 3.11 (.python-version "3.11")');
    expect((await plan({ ...base, 'pyproject.toml': '[project]\nrequires-python = ">=3.9,<4"\n' })).notes[1]).toMatch(/^Python 3\.11 \(requires-python ">=3\.9,<4" in pyproject\.toml admits 3\.11\.2\)$/);
  });

  it('reads PEP 440 specifiers and requirement names as pip does for the common cases', () => {
    expect([['>=3.8'], ['~=3.10'], ['==3.11.*'], ['>=3.9,!=3.11.0,<3.13'], ['~=3.11.1']].map(([s]) => satisfies('3.11.2', s))).toEqual([true, true, true, true, true]);
    expect([['>=3.12'], ['~=3.11.3'], ['==3.10.*'], ['<3.11'], ['!=3.11.*']].map(([s]) => satisfies('3.11.2', s))).toEqual([false, false, false, false, false]);
    expect(requirementNames('# deps\nFlask[async]>=3 ; python_version>"3"\n-r base.txt\n--index-url http://x/\nzope.interface\ngit+https://x/y.git#egg=My_Pkg\n')).toEqual(['flask', 'zope-interface', 'my-pkg']);
    expect([trustedHostOf('http://10.0.0.5:3141/simple/'), trustedHostOf('https://pypi.example/simple/')]).toEqual(['10.0.0.5', '']);
  });
});
