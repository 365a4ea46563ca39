import { BuildFailure } from './build-failure';
import { cacheMountProblem, planDockerfile } from './dockerfile';

const subject = { appName: 'a', appId: 'id', installId: 'i', envName: 'production', commitSha: 'c'.repeat(40), buildId: 'b' };
const settings = { stackImage: 'stack', caBundle: null, npmRegistry: 'https://registry.npmjs.org/', pipIndexUrl: 'https://pypi.org/simple/', nodeVersion: '24.x' };
const plan = (text: string) => planDockerfile({ name: 'Dockerfile', text }, subject, settings, null);

describe('Dockerfile cache mounts', () => {
  it.each([
    ['an id outside the cache directory (a host directory)', 'FROM stack\nRUN --mount=type=cache,id=../../../etc,target=/x cat /x/shadow\n'],
    ["another environment's cache", 'FROM stack\nRUN --mount=type=cache,id=berth-prod-0b1e-aaaa-npm,target=/tmp/npm-cache npm ci\n'],
    ['a cache shared by target with every Dockerfile', 'FROM stack\nRUN --mount=type=cache,target=/root/.npm npm ci\n'],
    ['options from a variable', 'FROM stack\nARG M=type=cache,id=../../etc,target=/x\nRUN --mount=$M ls /x\n'],
    ['quoted and split over lines', 'FROM stack\nRUN \\\n  --mount="id=x,type=cache,target=/c" true\n'],
  ])('refuses %s, naming the line and what to do', (_what, text) => {
    expect(() => plan(text)).toThrow(BuildFailure);
    expect(cacheMountProblem('Dockerfile', text)).toMatch(/^Dockerfile line \d+ uses "--mount=.*": Berth does not build cache mounts from a Dockerfile.*Remove the --mount option/);
  });

  it('builds Dockerfiles with other mounts or none as given', () => {
    expect(plan('FROM stack\nRUN --mount=type=secret,id=token true\nRUN echo hi\n').containerfile).toContain('RUN echo hi');
    expect(cacheMountProblem('Dockerfile', 'FROM stack\nRUN --mount=type=bind,source=a,target=/a true\n')).toBeNull();
  });
});
