import { NEIGHBOUR_ENTRIES_WANTED, neighbourTableWarning } from './host-registration';

describe('the neighbour table warning', () => {
  it("warns on Linux's default (512 entries), naming the setting and the fix", () => {
    expect(neighbourTableWarning(512)).toMatch(/about 512 entries \(net\.ipv4\.neigh\.default\.gc_thresh2\).*npm run setup/);
  });

  it('says nothing once the table is as large as setup makes it, or when it cannot be read', () => {
    expect(neighbourTableWarning(NEIGHBOUR_ENTRIES_WANTED)).toBeNull();
    expect(neighbourTableWarning(16384)).toBeNull();
    expect(neighbourTableWarning(null)).toBeNull();
  });
});
