import type { BuildEngineSettings } from '../build/build-image.js';
import { loadBuildSettings } from './build-settings.js';
import { loadProxySettings } from './proxy-settings.js';

/** Every operator setting of builds: limits, scripts, injection and the proxy builds go through. */
export function loadEngineSettings(env: NodeJS.ProcessEnv = process.env): BuildEngineSettings {
  return { ...loadBuildSettings(env), proxy: loadProxySettings(env) };
}
