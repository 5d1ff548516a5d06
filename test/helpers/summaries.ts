// One indicator as the exporters read it (IndicatorSummary), for the writers' tests: a high one
// seen by ThreatFox, its id derived from type and value; `extra` sets the rest.
import { v5 as uuidv5 } from 'uuid';
import type { IocType } from '../../src/ioc/types.js';
import type { IndicatorSummary } from '../../src/store/records.js';

export const SUMMARY_ID_NAMESPACE = '3f1c7a52-5d0e-4b8e-9a43-2f6d1c0b9e71';

export function summary(type: IocType, value: string, extra: Partial<IndicatorSummary> = {}): IndicatorSummary {
  return {
    id: uuidv5(`${type}:${value}`, SUMMARY_ID_NAMESPACE),
    type,
    value,
    confidence: 'high',
    first_seen: '2026-07-24T13:50:06.000Z',
    last_seen: '2026-07-25T08:12:41.250Z',
    sources: ['ThreatFox'],
    tags: [],
    mitre_techniques: [],
    contexts: [],
    reference_urls: [],
    ...extra,
  };
}
