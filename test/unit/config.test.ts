import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig } from '../../src/config.js';

function failure(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('has defaults for everything', () => {
    expect(loadConfig({})).toEqual({
      host: '127.0.0.1',
      port: 8080,
      dataDir: path.resolve('./data'),
      databaseUrl: undefined,
      redisUrl: undefined,
      logLevel: 'info',
      publicUrl: undefined,
      upgradeUrl: undefined,
      corsOrigins: [],
      statsRefreshSeconds: 600,
      changesRetentionDays: 90,
      requestTimeoutMs: 30_000,
      bodyLimitBytes: 1_048_576,
      maxUrlLength: 8192,
      pgPoolSize: 10,
      listTotalExactUpTo: 10_000,
      searchFuzzyBudgetMs: 20,
      searchFuzzyPerKey: 2,
      searchFuzzyPerInstance: 8,
      trustProxy: false,
      ingest: true,
      ingestConcurrency: 4,
      metrics: true,
      metricsAllow: ['127.0.0.0/8', '::1/128'],
    });
  });

  it('reads the variables it is given', () => {
    const config = loadConfig({
      HOST: '0.0.0.0',
      PORT: '0',
      DATA_DIR: '/var/lib/socd',
      DATABASE_URL: 'postgresql://socd:secret@db:5432/socd',
      REDIS_URL: 'rediss://cache:6380',
      LOG_LEVEL: 'warn',
      PUBLIC_URL: 'https://intel.example.org/',
      MAX_URL_LENGTH: '4096',
      TRUST_PROXY: 'yes',
    });
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 0,
      dataDir: '/var/lib/socd',
      databaseUrl: 'postgresql://socd:secret@db:5432/socd',
      redisUrl: 'rediss://cache:6380',
      logLevel: 'warn',
      publicUrl: 'https://intel.example.org',
      maxUrlLength: 4096,
      trustProxy: true,
    });
    expect(describeConfig(config)).toMatchObject({ databaseUrl: 'postgresql://socd:***@db:5432/socd' });
  });

  it('names the variable in every error', () => {
    expect(failure({ PORT: 'abc' }).message).toBe('Invalid environment variable PORT: expected an integer, got "abc"');
    expect(failure({ PORT: '70000' }).message).toBe('Invalid environment variable PORT: expected 0..65535, got 70000');
    expect(failure({ PORT: '-1' }).variable).toBe('PORT');
    expect(failure({ PORT: '80.5' }).variable).toBe('PORT');
    const mysql = failure({ DATABASE_URL: 'mysql://x' });
    expect(mysql.variable).toBe('DATABASE_URL');
    expect(mysql.message).toBe('Invalid environment variable DATABASE_URL: expected a postgres: or postgresql: URL, got mysql:');
    expect(failure({ DATABASE_URL: 'not a url' }).message).toBe('Invalid environment variable DATABASE_URL: not a URL');
    expect(failure({ LOG_LEVEL: 'loud' }).message).toBe(
      'Invalid environment variable LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    );
    expect(failure({ REDIS_URL: 'http://cache' }).variable).toBe('REDIS_URL');
    expect(failure({ PUBLIC_URL: 'ftp://x' }).variable).toBe('PUBLIC_URL');
    expect(failure({ TRUST_PROXY: 'maybe' }).variable).toBe('TRUST_PROXY');
    expect(failure({ MAX_URL_LENGTH: '10' }).variable).toBe('MAX_URL_LENGTH');
    expect(failure({ STATS_REFRESH_SECONDS: '1' }).variable).toBe('STATS_REFRESH_SECONDS');
    expect(failure({ UPGRADE_URL: 'ftp://x' }).variable).toBe('UPGRADE_URL');
    expect(failure({ CORS_ORIGINS: 'https://ok.example, https://x.example/path' }).message).toBe(
      'Invalid environment variable CORS_ORIGINS: "https://x.example/path" is not an origin (scheme://host[:port])',
    );
    expect(failure({ CORS_ORIGINS: '*' }).variable).toBe('CORS_ORIGINS');
    expect(failure({ METRICS: 'false' }).message).toBe('Invalid environment variable METRICS: expected one of on, off, got "false"');
    expect(failure({ METRICS_ALLOW: '10.0.0.0/8, 10.1.2.3/33' }).message).toBe(
      'Invalid environment variable METRICS_ALLOW: "10.1.2.3/33" is not an IP address or a CIDR network',
    );
    expect(failure({ METRICS_ALLOW: 'localhost' }).variable).toBe('METRICS_ALLOW');
  });

  it('reads METRICS_ALLOW as networks: an address alone is one host, an IPv4 address written as IPv6 is itself', () => {
    expect(loadConfig({ METRICS_ALLOW: '10.0.0.0/8, 192.0.2.7,2001:db8::/32, ::ffff:198.51.100.1' }).metricsAllow).toEqual([
      '10.0.0.0/8',
      '192.0.2.7/32',
      '2001:db8::/32',
      '198.51.100.1/32',
    ]);
    expect(loadConfig({ METRICS: 'off' }).metrics).toBe(false);
  });

  it('reads CORS_ORIGINS as a list of origins', () => {
    expect(loadConfig({ CORS_ORIGINS: 'https://soc.example.org, http://localhost:5173/' }).corsOrigins).toEqual([
      'https://soc.example.org',
      'http://localhost:5173',
    ]);
  });
});
