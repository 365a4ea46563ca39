import { parseEventStream, type ServerSentEvent } from './sse';

function parse(chunks: string[]): ServerSentEvent[] {
  const events: ServerSentEvent[] = [];
  const parser = parseEventStream((event) => events.push(event));
  chunks.forEach(parser);
  parser.flush();
  return events;
}

describe('parseEventStream', () => {
  it('reads data lines, named events and ids', () => {
    expect(parse(['data: one\n\nevent: end\ndata: {"status":"failed"}\nid: 7\n\n'])).toEqual([
      { event: 'message', data: 'one' },
      { event: 'end', data: '{"status":"failed"}', id: '7' },
    ]);
  });

  it('joins multi-line data and keeps a value without the optional space', () => {
    expect(parse(['data:first\ndata: second\n\n'])).toEqual([{ event: 'message', data: 'first\nsecond' }]);
  });

  it('copes with events split anywhere across chunks, including between CR and LF', () => {
    expect(parse(['da', 'ta: hel', 'lo\r', '\n\r\n', 'data: x\n', '\n'])).toEqual([
      { event: 'message', data: 'hello' },
      { event: 'message', data: 'x' },
    ]);
  });

  it('ignores comments (keep-alives) and events with no data', () => {
    expect(parse([': ping\n\nevent: nothing\n\ndata: real\n\n'])).toEqual([{ event: 'message', data: 'real' }]);
  });

  it('dispatches an event the stream ended inside', () => {
    expect(parse(['data: last line'])).toEqual([{ event: 'message', data: 'last line' }]);
  });
});
