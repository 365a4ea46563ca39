// A parser for the text/event-stream format (the server-sent events spec, section 9.2),
// fed with chunks as they arrive from a fetch body.

export interface ServerSentEvent {
  /** The `event:` field; "message" when absent. */
  event: string;
  data: string;
  id?: string;
}

export interface EventStreamParser {
  (chunk: string): void;
  /** Dispatches an event the stream ended in the middle of. */
  flush(): void;
}

export function parseEventStream(onEvent: (event: ServerSentEvent) => void): EventStreamParser {
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  let sawData = false;

  const dispatch = () => {
    if (sawData) onEvent({ event: event || 'message', data: data.join('\n'), ...(id !== undefined ? { id } : {}) });
    event = '';
    data = [];
    sawData = false;
  };

  const line = (text: string) => {
    if (text === '') return dispatch();
    if (text.startsWith(':')) return; // a comment, e.g. a keep-alive
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') {
      data.push(value);
      sawData = true;
    } else if (field === 'id' && !value.includes('\0')) id = value;
  };

  const parser = ((chunk: string) => {
    buffer += chunk;
    // Lines end in CRLF, LF or CR; a CR at the very end may be the first half of a CRLF.
    for (;;) {
      const match = /\r\n|\n|\r(?!$)/.exec(buffer);
      if (!match) break;
      line(buffer.slice(0, match.index));
      buffer = buffer.slice(match.index + match[0].length);
    }
  }) as EventStreamParser;
  parser.flush = () => {
    if (buffer.endsWith('\r')) buffer = buffer.slice(0, -1);
    if (buffer) line(buffer);
    buffer = '';
    dispatch();
  };
  return parser;
}
