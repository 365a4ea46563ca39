import { appNameProblem, configKeyProblem, environmentLabel, environmentSlug, hasControlCharacters, teamNameProblem } from './names';

describe('app names', () => {
  it.each(['abc', 'my-app', 'a1b2', 'x'.repeat(30)])('accepts %s', (name) => expect(appNameProblem(name)).toBeNull());

  it.each([
    ['ab', /3 to 30/],
    ['x'.repeat(31), /3 to 30/],
    ['1app', /start with a lowercase letter/],
    ['-app', /start with a lowercase letter/],
    ['My-App', /start with a lowercase letter|lowercase/],
    ['my_app', /lowercase letters, digits and hyphens/],
    ['my--app', /two hyphens/],
    ['myapp-', /end with a hyphen/],
    ['api', /reserved/],
    ['www', /reserved/],
    ['git', /reserved/],
    ['admin', /reserved/],
  ])('refuses %s', (name, why) => expect(appNameProblem(name)).toMatch(why));
});

describe('team names', () => {
  it('accepts DNS-style names up to 40 characters', () => expect(teamNameProblem('acme-corp')).toBeNull());
  it('refuses odd characters and double hyphens', () => {
    expect(teamNameProblem('Acme')).not.toBeNull();
    expect(teamNameProblem('a--b')).not.toBeNull();
  });
});

describe('environment slugs', () => {
  it('lowercases and replaces other characters with hyphens', () => {
    expect(environmentSlug('feature/Login_Page', 'shop')).toBe('feature-login-page');
  });

  it('fits <env>--<app> in one 63-character DNS label', () => {
    const app = 'a'.repeat(30);
    const slug = environmentSlug(`feature/${'x'.repeat(80)}`, app);
    expect(`${slug}--${app}`.length).toBeLessThanOrEqual(63);
    expect(slug).not.toMatch(/-$/);
  });

  it('makes collisions unique', () => {
    const taken = new Set(['feature-a']);
    expect(environmentSlug('feature/a', 'shop', taken)).toBe('feature-a-2');
    expect(environmentSlug('feature_a', 'shop', new Set(['feature-a', 'feature-a-2']))).toBe('feature-a-3');
  });

  it('never produces "production" or a name starting with a digit', () => {
    expect(environmentSlug('production', 'shop')).toBe('production-2');
    expect(environmentSlug('123', 'shop')).toMatch(/^[a-z]/);
  });
});

describe('config keys', () => {
  it.each(['PORT', 'DATABASE_URL', '_x', 'a1'])('accepts %s', (key) => expect(configKeyProblem(key)).toBeNull());
  it.each(['1ABC', 'WITH-DASH', 'SP ACE', '', 'X'.repeat(256), 'É'])('refuses %p', (key) => expect(configKeyProblem(key)).not.toBeNull());
});

describe('control characters', () => {
  it.each(['a\u0000b', 'line\nbreak', 'tab\t', 'del\u007f'])('finds one in %j', (value) => expect(hasControlCharacters(value)).toBe(true));
  it.each(['my-app', 'ünïcode', 'a b', ''])('finds none in %j', (value) => expect(hasControlCharacters(value)).toBe(false));
});

describe('environmentLabel', () => {
  it('formats production as the app name and other environments as <env>--<app>', () => {
    expect(environmentLabel.format('shop', 'production', true)).toBe('shop');
    expect(environmentLabel.format('shop', 'feature-x', false)).toBe('feature-x--shop');
  });

  it('parses what it formats, and nothing that is no DNS label', () => {
    expect(environmentLabel.parse('shop')).toEqual({ appName: 'shop', envName: 'production' });
    expect(environmentLabel.parse(environmentLabel.format('shop', 'feature-x', false))).toEqual({ appName: 'shop', envName: 'feature-x' });
    expect(environmentLabel.parse('Shop')).toBeNull();
    expect(environmentLabel.parse('a'.repeat(64))).toBeNull();
    expect(environmentLabel.parse('shop.example')).toBeNull();
  });

  it('tells whether a label is the address of an app or one of its environments', () => {
    expect(environmentLabel.belongsTo('shop', 'shop')).toBe(true);
    expect(environmentLabel.belongsTo('pr-1--shop', 'shop')).toBe(true);
    expect(environmentLabel.belongsTo('pr-1--myshop', 'shop')).toBe(false);
    expect(environmentLabel.belongsTo('shopping', 'shop')).toBe(false);
  });
});
