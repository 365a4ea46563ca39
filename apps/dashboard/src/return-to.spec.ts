import { returnTarget } from './return-to';

describe('where an errand returns to', () => {
  it("names an app's page by the app", () => {
    expect(returnTarget('/apps/shop/settings')).toEqual({ to: '/apps/shop/settings', label: 'Back to shop' });
    expect(returnTarget('/apps/shop')).toEqual({ to: '/apps/shop', label: 'Back to shop' });
    expect(returnTarget('/apps/%E0%A4%A/settings')).toEqual({ to: '/apps/%E0%A4%A/settings', label: 'Back to %E0%A4%A' });
    expect(returnTarget('/teams/core')).toEqual({ to: '/teams/core', label: 'Back' });
  });

  it('goes nowhere outside the dashboard, nor in circles', () => {
    for (const value of [null, '', 'https://evil.example/', '//evil.example/apps/x', 'javascript:alert(1)', '/\\evil.example/', '/tokens?new=git']) expect(returnTarget(value)).toBeNull();
  });
});
