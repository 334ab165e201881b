import { SettingsError } from '../../src/settings/build-settings.js';
import { loadProxySettings, proxyVariables, redactProxyCredentials, redactUrl, type ProxySettings } from '../../src/settings/proxy-settings.js';

function settingsError(env: NodeJS.ProcessEnv): SettingsError {
  try {
    loadProxySettings(env);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return error as SettingsError;
  }
  throw new Error(`loadProxySettings accepted ${JSON.stringify(env)}`);
}

describe('settings/proxy-settings', () => {
  it('has no proxy when no variable is set', () => {
    expect(loadProxySettings({})).toEqual<ProxySettings>({ httpProxy: undefined, httpsProxy: undefined, noProxy: undefined });
    expect(proxyVariables(loadProxySettings({}))).toEqual([]);
  });

  it('reads the three variables and exports both spellings of each', () => {
    const settings = loadProxySettings({
      S2I_BUILD_HTTP_PROXY: 'http://proxy.internal:3128',
      S2I_BUILD_HTTPS_PROXY: ' https://proxy.internal:3129 ',
      S2I_BUILD_NO_PROXY: 'localhost, .internal,,127.0.0.1',
    });

    expect(proxyVariables(settings)).toEqual([
      'HTTP_PROXY=http://proxy.internal:3128',
      'http_proxy=http://proxy.internal:3128',
      'HTTPS_PROXY=https://proxy.internal:3129',
      'https_proxy=https://proxy.internal:3129',
      'NO_PROXY=localhost,.internal,127.0.0.1',
      'no_proxy=localhost,.internal,127.0.0.1',
    ]);
  });

  it('refuses a proxy that is not an http(s) URL without showing its credentials', () => {
    const error = settingsError({ S2I_BUILD_HTTPS_PROXY: 'socks5://ada:hunter22@proxy.internal:1080' });

    expect(error.message).toBe('S2I_BUILD_HTTPS_PROXY must be an http:// or https:// URL such as http://proxy.internal:3128, got "socks5://***@proxy.internal:1080"');
    expect(settingsError({ S2I_BUILD_HTTP_PROXY: 'proxy.internal:3128' }).message).toContain('S2I_BUILD_HTTP_PROXY must be an http:// or https:// URL');
    expect(settingsError({ S2I_BUILD_NO_PROXY: 'localhost, my host' }).message).toContain('S2I_BUILD_NO_PROXY must be a comma-separated list');
  });

  it('hides credentials of the configured proxies wherever they appear: in URLs, and the password alone', () => {
    const settings = loadProxySettings({ S2I_BUILD_HTTP_PROXY: 'http://ada:p%40ss-word@proxy.internal:3128' });

    expect(redactProxyCredentials('HTTP_PROXY=http://ada:p%40ss-word@proxy.internal:3128', settings)).toBe('HTTP_PROXY=http://***@proxy.internal:3128');
    expect(redactProxyCredentials('npm: using password p@ss-word (p%40ss-word)', settings)).toBe('npm: using password *** (***)');
    expect(redactProxyCredentials('nothing secret here', settings)).toBe('nothing secret here');
    expect(redactProxyCredentials('ada was here', undefined)).toBe('ada was here');
    expect(redactUrl('https://u:p@host/x')).toBe('https://***@host/x');
  });
});
