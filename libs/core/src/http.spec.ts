import { urlProblem } from './http';

describe('urlProblem', () => {
  it.each(['/api/apps/shop', '/api/apps/shop/builds?environment=production&limit=5', '/git/shop.git/info/refs?service=git-upload-pack', '/api/apps/a%2500b', '/search?q=a+b'])(
    'accepts %s',
    (url) => expect(urlProblem(url)).toBeNull(),
  );

  it.each(['/api/apps/a%00b', '/api/apps/shop/environments/prod%0Auction', '/api/apps/shop/builds?environment=%00', '/api/apps/shop?x=%1b', '/api/teams/t%7f'])(
    'refuses a control character in %s',
    (url) => expect(urlProblem(url)).toMatch(/control character/),
  );

  it('refuses a malformed percent-escape', () => expect(urlProblem('/api/apps/50%')).toMatch(/percent-escape/));
});
