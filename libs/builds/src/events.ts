/**
 * In-process events of the build pipeline, for other libraries (releases) to react to.
 *
 * BUILD_SUCCEEDED is emitted with `emitAsync` by the process holding the push, after the image
 * is recorded and before the push prints the environment's URL and ends: listeners run while
 * the pusher waits, may add lines to the push with `BuildLog.append(buildId, text)`, and fail
 * the push (showing their error's message) by throwing. @nestjs/event-emitter swallows a
 * listener's errors unless it says otherwise: `@OnEvent(BUILD_SUCCEEDED, { suppressErrors: false })`.
 */
export const BUILD_SUCCEEDED = 'build.succeeded';
export interface BuildSucceededEvent {
  buildId: string;
  imageId: string;
  appId: string;
  environmentId: string;
}
