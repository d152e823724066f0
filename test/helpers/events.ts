/**
 * An event's payload as the service wrote it: the state digest (and whose state it is) that the log
 * adds for `verify` is left out, since tests of what an event says compare payloads whole.
 * The digests themselves are tested by test/tamper-access.test.ts.
 */
export function payloadOf(text: string): Record<string, unknown> {
  const { state: _state, stateOf: _stateOf, ...payload } = JSON.parse(text) as Record<string, unknown>;
  return payload;
}
