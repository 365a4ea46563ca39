import { applyFormationPatch, formationForImage, FormationLine, presentFormation, processTypesOf } from './formation';

const defaults = { memoryMb: 256, cpuMillis: 500, pidsLimit: 256, diskMb: 1024 };
const limits = { quantity: 10, memoryMb: 1024, cpuMillis: 2000, pidsLimit: 1000, diskMb: 4096 };
const web: FormationLine = { processType: 'web', command: 'old', quantity: 3, memoryMb: 192, cpuMillis: 250, pidsLimit: 100, diskMb: 1024 };

describe('formation of a new image', () => {
  it('runs one web and no other process by default', () => {
    expect(formationForImage({ worker: 'w', web: 'httpd' }, [], defaults)).toEqual([
      { processType: 'web', command: 'httpd', quantity: 1, ...defaults },
      { processType: 'worker', command: 'w', quantity: 0, ...defaults },
    ]);
  });

  it("runs the image's own command for a process type without one (a Dockerfile's CMD)", () => {
    expect(processTypesOf({ web: null, worker: 'w', bad: 3 })).toEqual({ web: null, worker: 'w' });
    expect(formationForImage(processTypesOf({ web: null }), [], defaults)).toEqual([{ processType: 'web', command: null, quantity: 1, ...defaults }]);
  });

  it('keeps the sizes of process types that were there, with the new command, and drops the ones that are gone', () => {
    const previous = [web, { ...web, processType: 'clock', quantity: 1 }];
    expect(formationForImage({ web: 'new' }, previous, defaults)).toEqual([{ ...web, command: 'new' }]);
  });
});

describe('formation changes', () => {
  it('applies quantity, memory, CPU (in cores), pids and disk', () => {
    const { formation, problems, changed } = applyFormationPatch([web], { web: { quantity: 5, memoryMb: 512, cpu: 1.5, pidsLimit: 50, diskMb: 2048 } }, limits);
    expect(problems).toEqual({});
    expect(changed).toEqual(['web']);
    expect(formation).toEqual([{ ...web, quantity: 5, memoryMb: 512, cpuMillis: 1500, pidsLimit: 50, diskMb: 2048 }]);
  });

  it('names an unknown process type and the ones there are', () => {
    const { problems } = applyFormationPatch([web], { worker: { quantity: 1 } }, limits);
    expect(problems.worker).toMatch(/not a process type of this release \(it has: web\)/);
  });

  it('names each field over its limit, and the limit', () => {
    const { problems } = applyFormationPatch([web], { web: { quantity: 11, memoryMb: 2048, cpu: 3, pidsLimit: 4, diskMb: 8192 } }, limits);
    expect(problems).toEqual({
      'web.quantity': expect.stringMatching(/at most 10/),
      'web.memoryMb': expect.stringMatching(/at most 1024 MB/),
      'web.cpu': expect.stringMatching(/at most 2 cores/),
      'web.pidsLimit': expect.stringMatching(/at least 8/),
      'web.diskMb': expect.stringMatching(/at most 4096 MB/),
    });
  });

  it.each([
    [{ web: { quantity: 1.5 } }, 'web.quantity', /whole number/],
    [{ web: { quantity: '2' } }, 'web.quantity', /whole number/],
    [{ web: { quantity: -1 } }, 'web.quantity', /at least 0/],
    [{ web: { cpu: 0 } }, 'web.cpu', /at least 0.01/],
    [{ web: { diskMb: 10 } }, 'web.diskMb', /at least 64 MB/],
    [{ web: { colour: 'blue' } }, 'web.colour', /not a known field/],
    [{ web: 3 }, 'web', /must be an object/],
    [[], 'body', /JSON object/],
    [{}, 'body', /JSON object/],
  ])('refuses %j', (body, field, why) => {
    expect(applyFormationPatch([web], body, limits).problems[field]).toMatch(why);
  });
});

describe('requests', () => {
  it('sets the memory and CPU requests (CPU in cores), and null goes back to the default', () => {
    const { formation, problems } = applyFormationPatch([web], { web: { memoryRequestMb: 128, cpuRequest: 0.05 } }, limits);
    expect(problems).toEqual({});
    expect(formation).toEqual([{ ...web, memoryRequestMb: 128, cpuRequestMillis: 50 }]);
    const reset = applyFormationPatch(formation, { web: { memoryRequestMb: null, cpuRequest: null } }, limits);
    expect(reset.formation).toEqual([{ ...web, memoryRequestMb: null, cpuRequestMillis: null }]);
  });

  it('refuses requests above the limits, including limits changed in the same patch', () => {
    expect(applyFormationPatch([web], { web: { memoryRequestMb: 193, cpuRequest: 0.3 } }, limits).problems).toEqual({
      'web.memoryRequestMb': 'must be at most memoryMb, the limit (192 MB)',
      'web.cpuRequest': 'must be at most cpu, the limit (0.25 cores)',
    });
    expect(applyFormationPatch([web], { web: { memoryMb: 512, memoryRequestMb: 400, cpu: 1, cpuRequest: 0.5 } }, limits).problems).toEqual({});
    const withRequests = { ...web, memoryRequestMb: 128, cpuRequestMillis: 200 };
    expect(applyFormationPatch([withRequests], { web: { memoryMb: 64, cpu: 0.1 } }, limits).problems).toEqual({
      'web.memoryMb': expect.stringMatching(/below this process type's memory request \(128 MB\); lower memoryRequestMb too/),
      'web.cpu': expect.stringMatching(/below this process type's CPU request \(0.2 cores\)/),
    });
  });

  it('shows what each instance books: the explicit requests, else the default share of the limits', () => {
    expect(presentFormation([web, { ...web, processType: 'worker', memoryRequestMb: 64, cpuRequestMillis: 100 }])).toEqual({
      web: { quantity: 3, memoryMb: 192, cpu: 0.25, pidsLimit: 100, diskMb: 1024, memoryRequestMb: 24, cpuRequest: 0.001, command: 'old' },
      worker: { quantity: 3, memoryMb: 192, cpu: 0.25, pidsLimit: 100, diskMb: 1024, memoryRequestMb: 64, cpuRequest: 0.1, command: 'old' },
    });
  });
});
