import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerConfigError, dockerConfigPath, registryAuth } from '../../src/registry/docker-config.js';

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('registry/docker-config', () => {
  let configDir: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    configDir = await mkdtemp(join(tmpdir(), 's2i-bot-docker-config-test-'));
    env = { DOCKER_CONFIG: configDir };
  });

  afterEach(async () => {
    await rm(configDir, { recursive: true, force: true });
  });

  const writeConfig = (config: unknown) => writeFile(join(configDir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));

  describe('dockerConfigPath', () => {
    it('uses $DOCKER_CONFIG/config.json', () => {
      expect(dockerConfigPath({ DOCKER_CONFIG: '/etc/s2i-bot/docker' })).toBe('/etc/s2i-bot/docker/config.json');
    });

    it('defaults to ~/.docker/config.json when DOCKER_CONFIG is unset or empty', () => {
      expect(dockerConfigPath({})).toBe(join(homedir(), '.docker', 'config.json'));
      expect(dockerConfigPath({ DOCKER_CONFIG: '' })).toBe(join(homedir(), '.docker', 'config.json'));
    });
  });

  describe('registryAuth', () => {
    it('decodes a base64 "auth" entry into username and password', async () => {
      await writeConfig({ auths: { 'registry.example.com:5000': { auth: base64('robot:s3cret') } } });

      const auth = await registryAuth('registry.example.com:5000', env);

      expect(auth).toEqual({ username: 'robot', password: 's3cret', serveraddress: 'registry.example.com:5000' });
    });

    it('splits "auth" at the first colon, so passwords may contain colons', async () => {
      await writeConfig({ auths: { 'ghcr.io': { auth: base64('bot:pa:ss:word') } } });

      const auth = await registryAuth('ghcr.io', env);

      expect(auth).toMatchObject({ username: 'bot', password: 'pa:ss:word' });
    });

    it('uses username and password fields', async () => {
      await writeConfig({ auths: { 'ghcr.io': { username: 'octo', password: 'ghp_token' } } });

      const auth = await registryAuth('ghcr.io', env);

      expect(auth).toEqual({ username: 'octo', password: 'ghp_token', serveraddress: 'ghcr.io' });
    });

    it('prefers an identity token', async () => {
      await writeConfig({ auths: { 'acr.example.io': { identitytoken: 'refresh-token', auth: base64('u:p') } } });

      const auth = await registryAuth('acr.example.io', env);

      expect(auth).toEqual({ identitytoken: 'refresh-token', serveraddress: 'acr.example.io' });
    });

    it('matches keys written as URLs', async () => {
      await writeConfig({ auths: { 'https://registry.example.com/v2/': { auth: base64('u:p') } } });

      const auth = await registryAuth('registry.example.com', env);

      expect(auth).toMatchObject({ username: 'u', password: 'p' });
    });

    it.each(['https://index.docker.io/v1/', 'docker.io', 'registry-1.docker.io'])('finds Docker Hub credentials stored under %s', async (key) => {
      await writeConfig({ auths: { [key]: { auth: base64('hubuser:hubpass') } } });

      const auth = await registryAuth('docker.io', env);

      expect(auth).toEqual({ username: 'hubuser', password: 'hubpass', serveraddress: 'https://index.docker.io/v1/' });
    });

    it('does not use credentials of another registry', async () => {
      await writeConfig({ auths: { 'ghcr.io': { auth: base64('u:p') }, 'registry.example.com:5000': { auth: base64('u:p') } } });

      const auth = await registryAuth('registry.example.com', env);

      expect(auth).toBeUndefined();
    });

    it('is anonymous when the config file does not exist', async () => {
      const auth = await registryAuth('ghcr.io', { DOCKER_CONFIG: join(configDir, 'missing') });

      expect(auth).toBeUndefined();
    });

    it('is anonymous when the config has no auths', async () => {
      await writeConfig({});

      const auth = await registryAuth('ghcr.io', env);

      expect(auth).toBeUndefined();
    });

    it('is anonymous when an entry has a username but no password', async () => {
      await writeConfig({ auths: { 'ghcr.io': { username: 'octo' } } });

      const auth = await registryAuth('ghcr.io', env);

      expect(auth).toBeUndefined();
    });

    it('falls back to auths when the credential store program is not installed', async () => {
      await writeConfig({ credsStore: 's2i-bot-test-absent-helper', auths: { 'ghcr.io': { auth: base64('u:p') } } });

      const auth = await registryAuth('ghcr.io', env);

      expect(auth).toEqual({ username: 'u', password: 'p', serveraddress: 'ghcr.io' });
    });

    it('refuses a config file that is not JSON, naming the file', async () => {
      await writeConfig('{ "auths": ');

      const attempt = registryAuth('ghcr.io', env);

      await expect(attempt).rejects.toThrow(DockerConfigError);
      await expect(attempt).rejects.toThrow(`${join(configDir, 'config.json')} could not be read as JSON`);
    });

    it('refuses a config path that cannot be read', async () => {
      await mkdir(join(configDir, 'config.json'));

      const attempt = registryAuth('ghcr.io', env);

      await expect(attempt).rejects.toThrow(DockerConfigError);
    });

    it('refuses an "auth" value that is not base64 of user:password, naming the registry', async () => {
      await writeConfig({ auths: { 'ghcr.io': { auth: base64('no-colon-here') } } });

      const attempt = registryAuth('ghcr.io', env);

      await expect(attempt).rejects.toThrow(DockerConfigError);
      await expect(attempt).rejects.toThrow(`the "auth" value for ghcr.io in ${join(configDir, 'config.json')} is not base64 of user:password`);
    });
  });
});
