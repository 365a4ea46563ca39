import { parseBackendStats } from './request-activity';

const ID = '0b6f3f5e-9c1a-4d51-8a57-6a3f2f4f1c11';
const CSV = [
  '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,',
  'http,FRONTEND,,,0,1,4096,9,1,2,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,0,0,1,,,,0,9,0,0,0,0,,0,1,9,,,0,0,0,0,,',
  `env_${ID},BACKEND,0,0,0,1,410,7,1,2,0,0,,0,0,0,0,UP,1,1,1,,0,5,0,,1,3,0,,7,,1,0,,1,,,,0,7,0,0,0,0,,,,7,0,0,0,0,0,0,12,`,
  'env_aaaaaaaa-0000-0000-0000-000000000000,BACKEND,0,0,0,0,410,0,0,0,0,0,,0,0,0,0,UP,1,1,1,,0,5,0,,1,4,0,,0,,1,0,,0,,,,0,0,0,0,0,0,,,,0,0,0,0,0,0,0,-1,',
  'unknown,BACKEND,0,0,0,0,410,3,0,0,0,0,,0,0,0,0,UP,1,1,0,,0,5,0,,1,5,0,,3,,1,0,,0,,,,0,0,0,3,0,0,,,,3,0,0,0,0,0,0,1,',
  '',
].join('\n');

describe('parseBackendStats', () => {
  it("reads each environment's session count and seconds since its last session", () => {
    expect(parseBackendStats(CSV)).toEqual([
      { environmentId: ID, sessions: 7, lastSessionSeconds: 12 },
      { environmentId: 'aaaaaaaa-0000-0000-0000-000000000000', sessions: 0, lastSessionSeconds: null },
    ]);
  });

  it('reads nothing from an answer without a header (HAProxy not up yet)', () => {
    expect(parseBackendStats('')).toEqual([]);
  });
});
