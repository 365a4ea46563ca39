import { Injectable, Logger } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { BerthConfig } from '@berth/config';
import { ContainerEngine } from '@berth/engine';
import { BuildFailure } from '../buildpacks/build-failure';
import { BuildCgroups } from './build-cgroups';
import { BuildDiskGuard } from './build-disk-guard';
import { BuildNetwork } from './build-network';
import { StepOutput, stepFailureReason } from './step-failure';

export interface ImageBuildRequest {
  buildId: string;
  /** The build context as a tar stream (packBuildContext), sent to the engine as it is. */
  context: Readable;
  /** Path of the Containerfile inside the context. */
  containerfile: string;
  /** Receives the engine's output as it comes. */
  output: (text: string) => void;
  /** Aborts the build (builder shutting down): it fails with an ordinary, retryable error. */
  signal?: AbortSignal;
}

/** How long the engine gets to end a build after its steps were killed. */
const STOP_GRACE_MS = 30_000;
const CPU_PERIOD_US = 100_000;

/** A build whose output the engine ended with an error message. */
interface EngineMessage {
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
  status?: string;
}

/**
 * Builds images through the Docker Engine API (Podman's here) with the build limits: memory
 * without extra swap, a CPU quota and a time limit. Each build's steps run in their own
 * cgroup (BuildCgroups), which is how a build over its time limit is stopped, and on the
 * install's isolated build network (BuildNetwork), never the host's. Layers are
 * cached by the engine unless BUILD_CACHE=false; a failed build leaves no image behind.
 */
@Injectable()
export class ImageBuilder {
  private readonly logger = new Logger('ImageBuilder');

  constructor(
    private readonly engine: ContainerEngine,
    private readonly cgroups: BuildCgroups,
    private readonly diskGuard: BuildDiskGuard,
    private readonly network: BuildNetwork,
    private readonly config: BerthConfig,
  ) {}

  /** Builds and returns the image id (sha256:...). Throws BuildFailure for the app's own failures. */
  async build(request: ImageBuildRequest): Promise<string> {
    const limits = this.config.builds;
    // Before anything else: with no isolated network there is no build (an operator error, retried).
    const isolation = await this.network.prepare();
    const cgroupParent = await this.cgroups.parentOf(request.buildId);
    const context = request.context;
    let response: Readable;
    try {
      response = (await this.engine.api.buildImage(context, {
        dockerfile: request.containerfile,
        nocache: !limits.cache,
        rm: true,
        forcerm: true,
        memory: limits.memoryBytes,
        memswap: limits.memoryBytes,
        cpuperiod: CPU_PERIOD_US,
        cpuquota: Math.round(limits.cpus * CPU_PERIOD_US),
        ...(cgroupParent ? { cgroupparent: cgroupParent } : {}),
        ...isolation,
      } as Record<string, unknown>)) as Readable;
    } catch (error) {
      throw this.classify(error);
    }

    let timedOut = false;
    let aborted = false;
    let wroteTooMuch = false;
    let grace: NodeJS.Timeout | null = null;
    const stop = (why: 'timeout' | 'abort' | 'disk') => {
      if (timedOut || aborted || wroteTooMuch) return;
      if (why === 'timeout') timedOut = true;
      else if (why === 'disk') wroteTooMuch = true;
      else aborted = true;
      if (!cgroupParent) {
        // Nothing to kill: stop listening; should the engine finish the build, its image is removed.
        response.destroy(new Error('the build was abandoned'));
        return;
      }
      void this.cgroups.kill(request.buildId).then((killed) => {
        if (killed === 0) this.logger.warn(`build ${request.buildId}: no processes found to stop; waiting for the engine`);
      });
      grace = setTimeout(() => response.destroy(new Error('the engine did not end the stopped build')), STOP_GRACE_MS);
    };
    const timer = setTimeout(() => stop('timeout'), limits.timeoutMs);
    // What a step writes is measured through the build's cgroup, so only a build that has one is bounded.
    const stopGuard = cgroupParent ? this.diskGuard.watch(request.buildId, limits.maxWriteBytes, () => stop('disk')) : () => undefined;
    const onAbort = () => stop('abort');
    request.signal?.addEventListener('abort', onAbort);

    let result: { imageId: string | null; error: string | null } = { imageId: null, error: null };
    let streamError: unknown = null;
    const steps = new StepOutput();
    try {
      result = await this.follow(response, (text) => {
        steps.write(text);
        request.output(text);
      });
    } catch (error) {
      streamError = error;
    } finally {
      clearTimeout(timer);
      stopGuard();
      if (grace) clearTimeout(grace);
      request.signal?.removeEventListener('abort', onAbort);
    }

    let failure: Error | null = null;
    if (timedOut) {
      failure = new BuildFailure(
        `The build took longer than ${Math.round(limits.timeoutMs / 1000)} s (BUILD_TIMEOUT_SECONDS) and was stopped. Make it faster, or ask the operator for a longer limit.`,
      );
    } else if (wroteTooMuch) {
      failure = new BuildFailure(
        `A build step wrote more than ${Math.round(limits.maxWriteBytes / 1024 / 1024)} MB (BUILD_MAX_WRITE_MB) and was stopped. Write less in one step (e.g. remove caches and downloads in the step that makes them), or ask the operator for a higher limit.`,
      );
    } else if (aborted) failure = new Error('the builder stopped while building');
    else if (streamError) failure = this.classify(streamError);
    else if (result.error) {
      // A failed step is told by the lines that say why, not by its whole command (the log has everything).
      const { step, lines } = steps.current();
      failure = new BuildFailure(stepFailureReason(step, lines, result.error) ?? this.withHint(result.error));
    }
    else if (!result.imageId) failure = new Error('the engine ended the build without naming an image');
    if (failure) {
      await this.removeImagesOf(request.buildId);
      throw failure;
    }
    return result.imageId as string;
  }

  /** Reads the engine's JSON lines: output goes to `output`, the last error and the image id are returned. */
  private follow(response: Readable, output: (text: string) => void): Promise<{ imageId: string | null; error: string | null }> {
    return new Promise((resolve, reject) => {
      const decoder = new StringDecoder('utf8');
      let buffer = '';
      let imageId: string | null = null;
      let error: string | null = null;
      const line = (text: string) => {
        if (!text.trim()) return;
        let message: EngineMessage;
        try {
          message = JSON.parse(text) as EngineMessage;
        } catch {
          output(`${text}\n`);
          return;
        }
        if (message.stream) output(message.stream);
        if (message.status) output(`${message.status}\n`);
        if (message.aux?.ID) imageId = message.aux.ID;
        if (message.error || message.errorDetail?.message) error = (message.errorDetail?.message ?? message.error ?? '').trim();
      };
      response.on('data', (chunk: Buffer) => {
        buffer += decoder.write(chunk);
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          line(buffer.slice(0, newline));
          buffer = buffer.slice(newline + 1);
        }
      });
      response.once('error', reject);
      response.once('end', () => {
        line(buffer + decoder.end());
        resolve({ imageId, error });
      });
    });
  }

  /** Engine answers (HTTP errors) are about the build; anything else (no engine) may pass and is retried. */
  private classify(error: unknown): Error {
    const status = (error as { statusCode?: number }).statusCode;
    if (typeof status === 'number' && status < 500) {
      const json = (error as { json?: { message?: string } }).json;
      return new BuildFailure(this.withHint(json?.message ?? (error as Error).message));
    }
    return error instanceof Error ? error : new Error(String(error));
  }

  /**
   * Names a built image for its app by its content digest (`localhost/berth/<app>:<12 hex>`,
   * so a tag never moves) and returns that name with the image's size.
   */
  async tagForApp(imageId: string, appName: string): Promise<{ name: string; sizeBytes: number }> {
    const image = this.engine.api.getImage(imageId);
    const info = await image.inspect();
    const repo = `localhost/berth/${appName}`;
    const tag = imageId.replace(/^sha256:/, '').slice(0, 12);
    await image.tag({ repo, tag });
    return { name: `${repo}:${tag}`, sizeBytes: info.Size };
  }

  /** Whether the engine still has this image (it may have been pruned since it was recorded). */
  async has(name: string): Promise<boolean> {
    return this.engine.api
      .getImage(name)
      .inspect()
      .then(() => true)
      .catch(() => false);
  }

  /** Build ids of the images on this engine labelled by Berth. */
  async builtBuildIds(): Promise<string[]> {
    const images = await this.engine.api.listImages({ filters: JSON.stringify({ label: ['berth.build'] }) });
    return [...new Set(images.map((image) => image.Labels?.['berth.build']).filter((id): id is string => !!id))];
  }

  /** Removes any image labelled with this build (a build the engine finished after it was stopped). */
  async removeImagesOf(buildId: string): Promise<void> {
    try {
      const images = await this.engine.api.listImages({ filters: JSON.stringify({ label: [`berth.build=${buildId}`] }) });
      for (const image of images) await this.engine.api.getImage(image.Id).remove({ force: true });
    } catch (error) {
      this.logger.warn(`could not remove images of build ${buildId}: ${(error as Error).message}`);
    }
  }

  /** Adds what to do when a Dockerfile names a base image the engine cannot pull. */
  private withHint(message: string): string {
    if (/pull|image not known|manifest unknown|initializing source|repository does not exist/i.test(message)) {
      return `${message}\nBase images must exist on the build host (no registry is reachable from it). Start FROM the stack image: "FROM ${this.config.builds.stackImage}".`;
    }
    return message;
  }
}
