import { hostnameProblem, normalizeHostname } from './hostnames';

describe('custom domain names', () => {
  it.each(['www.example.com', 'example.com', 'a-b.c0.example.co.uk', 'www.shop.localhost', 'api.feature-x--shop.localhost'])('accepts %s for app shop', (name) =>
    expect(hostnameProblem(name, 'localhost', 'shop')).toBeNull(),
  );

  it.each([
    ['', /required/],
    ['localhost', /full domain name/],
    ['*.example.com', /wildcard/],
    ['exa_mple.com', /labels of letters/],
    ['-x.example.com', /labels of letters/],
    ['10.0.0.1', /IP address/],
    [`${'a'.repeat(64)}.com`, /labels of letters/],
    [`${'a.'.repeat(127)}com`, /253/],
    ['other.localhost', /Berth app address/],
    ['shop.localhost', /Berth app address/],
    ['www.other.localhost', /another app/],
    ['www.feature--other.localhost', /another app/],
  ])('refuses %p', (name, why) => expect(hostnameProblem(name, 'localhost', 'shop')).toMatch(why));

  it('refuses the Berth domain itself', () => expect(hostnameProblem('apps.example.com', 'apps.example.com', 'shop')).toMatch(/own domain/));

  it('normalizes case and a trailing dot', () => expect(normalizeHostname(' WWW.Example.COM. ')).toBe('www.example.com'));
});
