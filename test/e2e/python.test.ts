import { readFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { builds, Pushes, runInImage } from '../support/builds';
import { FullStack, startFullStack } from '../support/fullstack';
import { gitUrl } from '../support/git';
import { debianWheels, makeWheel, PackageIndex } from '../support/python-index';
import { signUp, TestUser } from '../support/users';

// Cold builds create a venv and install Django (8 MB) from the local index; the machine is shared.
jest.setTimeout(600_000);

/**
 * Real releases of Flask, gunicorn and Django with their dependencies, repacked as wheels from
 * Debian bookworm's packages (the public Python package index cannot be reached from here; Debian's
 * archive can). Debian keeps their runtime requirements as Debian dependencies, so upstream's are
 * given here for each wheel's Requires-Dist.
 */
const DEBIAN_PACKAGES = ['flask', 'werkzeug', 'jinja2', 'itsdangerous', 'click', 'markupsafe', 'gunicorn', 'django', 'asgiref', 'sqlparse', 'tz'].map((name) => `python3-${name}`);
const UPSTREAM_REQUIRES: Record<string, string[]> = {
  flask: ['Werkzeug>=2.2.2', 'Jinja2>=3.0', 'itsdangerous>=2.0', 'click>=8.0'],
  werkzeug: ['MarkupSafe>=2.1.1'],
  jinja2: ['MarkupSafe>=2.0'],
  django: ['asgiref<4,>=3.3.2', 'pytz', 'sqlparse>=0.2.2'],
};
/** A package of the test's own, to show the app's own dependencies come from the same index. */
const GREETING = makeWheel('berth-test-greeting', '1.0.0', { 'berth_test_greeting/__init__.py': 'def greet(who):\n    return f"hello, {who}"\n' });

/** Python apps built from a package index served by the test on this host, each answering through the router. */
describe('Python buildpack', () => {
  let stack: FullStack;
  let user: TestUser;
  let index: PackageIndex;
  /** Another service on the host, listening on every address like the index: build steps must not reach it. */
  let decoy: Server;
  const pushes = new Pushes(() => stack.platform);

  beforeAll(async () => {
    index = new PackageIndex([...debianWheels(DEBIAN_PACKAGES, UPSTREAM_REQUIRES), GREETING]);
    const indexUrl = await index.start();
    decoy = createServer((_req, res) => res.end('decoy\n'));
    await new Promise<void>((resolve) => decoy.listen(0, '0.0.0.0', resolve));
    stack = await startFullStack({ env: { BUILD_PIP_INDEX_URL: indexUrl } });
    user = await signUp(stack.platform);
  });
  afterAll(async () => {
    await pushes.cleanup();
    await stack?.close();
    await index?.close();
    await new Promise((resolve) => (decoy ? decoy.close(resolve) : resolve(undefined)));
  });

  const deploy = async (fixture: string, change?: (copy: Awaited<ReturnType<Pushes['fixture']>>) => Promise<void>) => {
    const app = await pushes.app(user, fixture.replace(/[^a-z]/g, '').slice(0, 12));
    const copy = await pushes.fixture(fixture);
    if (change) await change(copy);
    const push = await copy.push(gitUrl(stack.platform, app, user.token), 'main');
    return { app, push, host: `${app}.localhost:${stack.routerPort}` };
  };
  const buildLog = async (app: string, id: string) => (await stack.platform.http().get(`/api/apps/${app}/builds/${id}`).set(user.auth)).body.log as string;

  it('serves a Flask app with a Procfile, its packages installed into a venv from the local index', async () => {
    const { app, push, host } = await deploy('python-flask');
    expect(`${push.stderr}\nexit code ${push.code}`).toMatch(/\nexit code 0$/);
    expect(push.stderr).toContain('remote: -----> Python app detected: requirements.txt at the root');
    expect(push.stderr).toContain('Berth saw requirements.txt and a Procfile; it builds by requirements.txt and no Dockerfile or package.json: Python');
    expect(push.stderr).toMatch(/Python 3\.11 \(the stack image's; pin it with a \.python-version of 3\.11\)/);
    expect(push.stderr).toContain('web: exec gunicorn app:app (Procfile)');
    expect(push.stderr).toMatch(/remote: Python 3\.11\.\d+/);
    expect(index.requests).toEqual(expect.arrayContaining(['/simple/flask/', '/simple/gunicorn/', '/simple/berth-test-greeting/', '/files/Flask-2.2.2-py3-none-any.whl', '/files/MarkupSafe-2.1.2-py3-none-any.whl']));

    const [only] = await builds(stack.platform, user, app);
    expect(only).toMatchObject({ status: 'succeeded', buildpack: 'python' });
    expect(only.image!.processTypes).toEqual({ web: 'exec gunicorn app:app' });
    // gunicorn binds 0.0.0.0:$PORT by itself when PORT is set, as Heroku's Procfiles expect.
    expect(await stack.viaRouter(host, '/')).toMatchObject({ status: 200, body: 'hello, Flask\n' });
    expect(await runInImage(stack.platform, only.image!.tag, 'id -un; command -v python; python -c "import flask; print(flask.__version__)"')).toMatch(/^app\r?\n\/venv\/bin\/python\r?\n2\.2\.2/);
  });

  it('serves a Django project with gunicorn, detected without a Procfile, after collectstatic', async () => {
    const { app, push, host } = await deploy('python-django');
    expect(`${push.stderr}\nexit code ${push.code}`).toMatch(/\nexit code 0$/);
    expect(push.stderr).toContain('Python 3.11 (.python-version "3.11")');
    expect(push.stderr).toContain('Django project gettingstarted: python manage.py collectstatic --noinput (STATIC_ROOT is set in gettingstarted/settings.py)');
    expect(push.stderr).toContain('web: exec gunicorn gettingstarted.wsgi --bind "0.0.0.0:$PORT" (Django project gettingstarted (manage.py), served by gunicorn)');
    expect(push.stderr).toMatch(/remote: \d+ static files? copied to '\/app\/staticfiles'/);

    const [only] = await builds(stack.platform, user, app);
    expect(only.image!.processTypes).toEqual({ web: 'exec gunicorn gettingstarted.wsgi --bind "0.0.0.0:$PORT"' });
    expect(await stack.viaRouter(host, '/')).toMatchObject({ status: 200, body: 'Hello from Django 3.2.25\n' });
    expect(await runInImage(stack.platform, only.image!.tag, 'cat /app/staticfiles/hello/style.css')).toContain('color: teal');
  });

  it('skips collectstatic, saying why, when the settings have no STATIC_ROOT', async () => {
    const { app, push } = await deploy('python-django', async (copy) => {
      copy.write('gettingstarted/settings.py', readFileSync(join(copy.dir, 'gettingstarted/settings.py'), 'utf8').replace(/^STATIC_ROOT.*$/m, ''));
      await copy.commitAll('no STATIC_ROOT');
    });
    expect(push.code).toBe(0);
    expect(push.stderr).toContain('Django project gettingstarted: collectstatic skipped, gettingstarted/settings.py sets no STATIC_ROOT');
    const [only] = await builds(stack.platform, user, app);
    expect(await buildLog(app, only.id)).not.toContain('collectstatic --noinput');
  });

  it('refuses at detection a Python the stack image does not have, naming the one it has and what to change', async () => {
    const { app, push } = await deploy('python-flask', async (copy) => {
      copy.write('runtime.txt', 'python-3.12.4\n');
      await copy.commitAll('ask for Python 3.12');
    });
    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(/remote:  !     runtime.txt asks for Python 3\.12 \("python-3\.12\.4"\)\. Berth builds Python apps with Python 3\.11 only \(3\.11\.2, from Debian bookworm in the stack image\): change runtime\.txt to python-3\.11/);
    const [only] = await builds(stack.platform, user, app);
    expect(only).toMatchObject({ status: 'failed', image: null });
    expect(only.failureReason).toMatch(/^runtime.txt asks for Python 3\.12/);
  });

  it('lets build steps reach the configured index on the host, and no other port of the host', async () => {
    const decoyPort = (decoy.address() as AddressInfo).port;
    const { app } = await deploy('python-flask', async (copy) => {
      copy.write(
        'Dockerfile',
        [
          'FROM localhost/berth/stack:bookworm-2',
          'ARG BERTH_PIP_INDEX_URL',
          // The index as the builder hands it to steps: the build network's gateway, the index's port.
          'RUN gateway=$(echo "$BERTH_PIP_INDEX_URL" | sed -E "s#^[a-z]+://([^:/]+).*#\\1#"); echo "gateway: $gateway"; \\',
          // The words checked below are made at run time: the log also shows the step's own text.
          '    if curl -fsS -m 10 "$BERTH_PIP_INDEX_URL" | grep -q berth-test-greeting; then r=reached; else r=refused; fi; echo "index=$r"; \\',
          `    if curl -fsS -m 10 -o /dev/null "http://$gateway:${decoyPort}/"; then r=reached; else r=refused; fi; echo "decoy=$r"`,
          'CMD ["/bin/sh", "-c", "exec busybox httpd -f -p \\"$PORT\\" -h /etc"]',
          '',
        ].join('\n'),
      );
      await copy.commitAll('probe the host from a build step');
    });
    const [only] = await builds(stack.platform, user, app);
    const log = await buildLog(app, only.id);
    expect(log).toMatch(/gateway: \d+\.\d+\.\d+\.\d+\n/);
    expect(log).toMatch(/^index=reached$/m);
    expect(log).toMatch(/^decoy=refused$/m);
  });
});
