import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../../test/helpers/database.js';
import {
  addPerson,
  addSettlement,
  addTestItems,
  type TestSettlement,
} from '../../../../test/helpers/fund-rules.js';
import { ruleHits } from '../run.evaluate.js';
import { RULES, ruleByCode } from './index.js';
import { defaultParams } from './params.js';

// Each of the twelve rules on hand-built settlements, on PGlite and PostgreSQL: at least three cases
// that must hit and three that must not (the edge cases beside them: a transfer is not 同时住院, a
// chemotherapy readmission is not 分解住院, a same-day stay without bed fees is not 挂床 …). Every rule's
// cases live in a region of their own (3201xx), so a rule is evaluated over its own cases only.

let database: TestDatabase;
const db = () => database.db;

interface Case {
  /** The settlements' serials a hit must name; empty for a case that must not hit. */
  hit: string[];
  people: Array<[string, { sex?: '男' | '女'; birth?: string; death?: string }?]>;
  settlements: Array<Omit<TestSettlement, 'region'>>;
}

const inp = (
  serial: string,
  person: string,
  admit: string,
  discharge: string,
  extra: Partial<TestSettlement> = {},
) => ({
  serial,
  person,
  admit,
  discharge,
  visit: '住院' as const,
  ...extra,
});
const out = (serial: string, person: string, date: string, extra: Partial<TestSettlement> = {}) => ({
  serial,
  person,
  admit: date,
  ...extra,
});

const CASES: Record<string, { region: string; positive: Case[]; negative: Case[] }> = {
  repeat_settlement: {
    region: '320101',
    positive: [
      {
        hit: ['RS-A1', 'RS-A2'],
        people: [['RSA']],
        settlements: [
          out('RS-A1', 'RSA', '2026-03-01', { lines: [{ code: 'TEXAM', date: '2026-03-01' }] }),
          out('RS-A2', 'RSA', '2026-03-01', {
            institution: 'H002',
            lines: [{ code: 'TEXAM', date: '2026-03-01' }],
          }),
        ],
      },
      {
        hit: ['RS-B1', 'RS-B2'],
        people: [['RSB']],
        settlements: [
          inp('RS-B1', 'RSB', '2026-03-01', '2026-03-05', {
            lines: [
              { code: 'TDRUG', date: '2026-03-02' },
              { code: 'TBED', date: '2026-03-02' },
            ],
          }),
          out('RS-B2', 'RSB', '2026-03-02', { lines: [{ code: 'TDRUG', date: '2026-03-02' }] }),
        ],
      },
      {
        hit: ['RS-C1', 'RS-C2'],
        people: [['RSC']],
        settlements: [
          out('RS-C1', 'RSC', '2026-04-01', {
            lines: [
              { code: 'TEXAM', date: '2026-04-01' },
              { code: 'TDRUG', date: '2026-04-01' },
            ],
          }),
          out('RS-C2', 'RSC', '2026-04-01', {
            lines: [
              { code: 'TDRUG', date: '2026-04-01' },
              { code: 'TEXAM', date: '2026-04-01' },
            ],
          }),
        ],
      },
      // three settlements of the same item and day: one clue naming all three
      {
        hit: ['RS-H1', 'RS-H2', 'RS-H3'],
        people: [['RSH']],
        settlements: [
          out('RS-H1', 'RSH', '2026-05-01', { lines: [{ code: 'TEXAM', date: '2026-05-01' }] }),
          out('RS-H2', 'RSH', '2026-05-01', {
            institution: 'H002',
            lines: [{ code: 'TEXAM', date: '2026-05-01' }],
          }),
          out('RS-H3', 'RSH', '2026-05-01', {
            institution: 'H003',
            lines: [{ code: 'TEXAM', date: '2026-05-01' }],
          }),
        ],
      },
    ],
    negative: [
      // the same item on two different dates
      {
        hit: [],
        people: [['RSD']],
        settlements: [
          out('RS-D1', 'RSD', '2026-03-01', { lines: [{ code: 'TEXAM', date: '2026-03-01' }] }),
          out('RS-D2', 'RSD', '2026-03-02', { lines: [{ code: 'TEXAM', date: '2026-03-02' }] }),
        ],
      },
      // twice in one settlement: not settled twice
      {
        hit: [],
        people: [['RSE']],
        settlements: [
          out('RS-E1', 'RSE', '2026-03-01', {
            lines: [
              { code: 'TEXAM', date: '2026-03-01' },
              { code: 'TEXAM', date: '2026-03-01' },
            ],
          }),
        ],
      },
      // two people, the same item and date
      {
        hit: [],
        people: [['RSF'], ['RSG']],
        settlements: [
          out('RS-F1', 'RSF', '2026-03-01', { lines: [{ code: 'TEXAM', date: '2026-03-01' }] }),
          out('RS-G1', 'RSG', '2026-03-01', { lines: [{ code: 'TEXAM', date: '2026-03-01' }] }),
        ],
      },
    ],
  },
  concurrent_stay: {
    region: '320102',
    positive: [
      {
        hit: ['CS-A1', 'CS-A2'],
        people: [['CSA']],
        settlements: [
          inp('CS-A1', 'CSA', '2026-03-01', '2026-03-10'),
          inp('CS-A2', 'CSA', '2026-03-05', '2026-03-08', { institution: 'H002' }),
        ],
      },
      {
        hit: ['CS-B1', 'CS-B2'],
        people: [['CSB']],
        settlements: [
          inp('CS-B1', 'CSB', '2026-03-01', '2026-03-03'),
          inp('CS-B2', 'CSB', '2026-03-02', '2026-03-04', { institution: 'H002' }),
        ],
      },
      {
        hit: ['CS-C1', 'CS-C2'],
        people: [['CSC']],
        settlements: [
          inp('CS-C1', 'CSC', '2026-04-01', '2026-04-20'),
          inp('CS-C2', 'CSC', '2026-04-01', '2026-04-20', { institution: 'H003' }),
        ],
      },
    ],
    negative: [
      // a transfer: discharged from one and admitted to the next on the same day
      {
        hit: [],
        people: [['CSD']],
        settlements: [
          inp('CS-D1', 'CSD', '2026-03-01', '2026-03-05'),
          inp('CS-D2', 'CSD', '2026-03-05', '2026-03-10', { institution: 'H002' }),
        ],
      },
      // overlapping stays at the same institution are another matter
      {
        hit: [],
        people: [['CSE']],
        settlements: [
          inp('CS-E1', 'CSE', '2026-03-01', '2026-03-05'),
          inp('CS-E2', 'CSE', '2026-03-03', '2026-03-06'),
        ],
      },
      // an outpatient visit elsewhere during a stay
      {
        hit: [],
        people: [['CSF']],
        settlements: [
          inp('CS-F1', 'CSF', '2026-03-01', '2026-03-10'),
          out('CS-F2', 'CSF', '2026-03-05', { institution: 'H002' }),
        ],
      },
    ],
  },
  split_admission: {
    region: '320103',
    positive: [
      {
        hit: ['SA-A1', 'SA-A2'],
        people: [['SAA']],
        settlements: [
          inp('SA-A1', 'SAA', '2026-03-01', '2026-03-10', { dx: 'I21.0' }),
          inp('SA-A2', 'SAA', '2026-03-20', '2026-03-25', { dx: 'I21.9' }),
        ],
      },
      {
        hit: ['SA-B1', 'SA-B2'],
        people: [['SAB']],
        settlements: [
          inp('SA-B1', 'SAB', '2026-03-01', '2026-03-05', { dx: 'J18.9' }),
          inp('SA-B2', 'SAB', '2026-03-05', '2026-03-07', { dx: 'J18.0' }),
        ],
      },
      {
        hit: ['SA-C1', 'SA-C2'],
        people: [['SAC']],
        settlements: [
          inp('SA-C1', 'SAC', '2026-03-01', '2026-03-10', { dx: 'E11.9' }),
          inp('SA-C2', 'SAC', '2026-03-25', '2026-03-30', { dx: 'E11.2' }),
        ],
      },
    ],
    negative: [
      // a planned chemotherapy course
      {
        hit: [],
        people: [['SAD']],
        settlements: [
          inp('SA-D1', 'SAD', '2026-03-01', '2026-03-03', { dx: 'Z51.1' }),
          inp('SA-D2', 'SAD', '2026-03-10', '2026-03-12', { dx: 'Z51.1' }),
        ],
      },
      // 16 days after discharge
      {
        hit: [],
        people: [['SAE']],
        settlements: [
          inp('SA-E1', 'SAE', '2026-03-01', '2026-03-05', { dx: 'J18.9' }),
          inp('SA-E2', 'SAE', '2026-03-21', '2026-03-25', { dx: 'J18.9' }),
        ],
      },
      // another institution; and another diagnosis at the same one
      {
        hit: [],
        people: [['SAF'], ['SAG']],
        settlements: [
          inp('SA-F1', 'SAF', '2026-03-01', '2026-03-05', { dx: 'J18.9' }),
          inp('SA-F2', 'SAF', '2026-03-10', '2026-03-12', { dx: 'J18.9', institution: 'H002' }),
          inp('SA-G1', 'SAG', '2026-03-01', '2026-03-05', { dx: 'J18.9' }),
          inp('SA-G2', 'SAG', '2026-03-10', '2026-03-12', { dx: 'J20.9' }),
        ],
      },
    ],
  },
  phantom_bed: {
    region: '320104',
    positive: [
      {
        hit: ['PB-A1'],
        people: [['PBA']],
        settlements: [
          inp('PB-A1', 'PBA', '2026-03-01', '2026-03-01', {
            lines: [
              { code: 'TBED', date: '2026-03-01' },
              { code: 'TEXAM', date: '2026-03-01' },
            ],
          }),
        ],
      },
      {
        hit: ['PB-B1'],
        people: [['PBB']],
        settlements: [
          inp('PB-B1', 'PBB', '2026-03-01', '2026-03-11', {
            lines: [
              { code: 'TBED', date: '2026-03-01', qty: 10 },
              { code: 'TDRUG', date: '2026-03-01' },
              { code: 'TDRUG', date: '2026-03-05' },
            ],
          }),
        ],
      },
      {
        hit: ['PB-C1'],
        people: [['PBC']],
        settlements: [
          inp('PB-C1', 'PBC', '2026-03-01', '2026-03-04', {
            lines: [{ code: 'TBED', date: '2026-03-01', qty: 3 }],
          }),
        ],
      },
    ],
    negative: [
      // a same-day stay without bed lines
      {
        hit: [],
        people: [['PBD']],
        settlements: [
          inp('PB-D1', 'PBD', '2026-03-01', '2026-03-01', { lines: [{ code: 'TEXAM', date: '2026-03-01' }] }),
        ],
      },
      // ten days, care on four of them (≥ 0.3)
      {
        hit: [],
        people: [['PBE']],
        settlements: [
          inp('PB-E1', 'PBE', '2026-03-01', '2026-03-11', {
            lines: [
              { code: 'TBED', date: '2026-03-01', qty: 10 },
              { code: 'TEXAM', date: '2026-03-01' },
              { code: 'TEXAM', date: '2026-03-03' },
              { code: 'TDRUG', date: '2026-03-06' },
              { code: 'TEXAM', date: '2026-03-09' },
            ],
          }),
        ],
      },
      // two days, below the minimum stay
      {
        hit: [],
        people: [['PBF']],
        settlements: [
          inp('PB-F1', 'PBF', '2026-03-01', '2026-03-03', {
            lines: [{ code: 'TBED', date: '2026-03-01', qty: 2 }],
          }),
        ],
      },
    ],
  },
  over_supply: {
    region: '320105',
    positive: [
      {
        hit: ['OS-A1'],
        people: [['OSA']],
        settlements: [
          out('OS-A1', 'OSA', '2026-03-01', {
            dx: 'J06.9',
            lines: [{ code: 'TDRUG', date: '2026-03-01', days: 10 }],
          }),
        ],
      },
      {
        hit: ['OS-B1', 'OS-B2'],
        people: [['OSB']],
        settlements: [
          out('OS-B1', 'OSB', '2026-03-01', {
            dx: 'J06.9',
            lines: [{ code: 'TDRUG', date: '2026-03-01', days: 5 }],
          }),
          out('OS-B2', 'OSB', '2026-03-04', {
            dx: 'J06.9',
            institution: 'H002',
            lines: [{ code: 'TDRUG', date: '2026-03-04', days: 5 }],
          }),
        ],
      },
      {
        hit: ['OS-C1', 'OS-C2'],
        people: [['OSC']],
        settlements: [
          out('OS-C1', 'OSC', '2026-03-01', {
            dx: 'E11.9',
            lines: [{ code: 'TDRUG', date: '2026-03-01', days: 30 }],
          }),
          out('OS-C2', 'OSC', '2026-03-20', {
            dx: 'E11.9',
            lines: [{ code: 'TDRUG', date: '2026-03-20', days: 30 }],
          }),
        ],
      },
    ],
    negative: [
      // chronic, the second prescription starts as the first runs out
      {
        hit: [],
        people: [['OSD']],
        settlements: [
          out('OS-D1', 'OSD', '2026-03-01', {
            dx: 'E11.9',
            lines: [{ code: 'TDRUG', date: '2026-03-01', days: 30 }],
          }),
          out('OS-D2', 'OSD', '2026-03-31', {
            dx: 'E11.9',
            lines: [{ code: 'TDRUG', date: '2026-03-31', days: 30 }],
          }),
        ],
      },
      // acute, back to back without overlap
      {
        hit: [],
        people: [['OSE']],
        settlements: [
          out('OS-E1', 'OSE', '2026-03-01', { lines: [{ code: 'TDRUG', date: '2026-03-01', days: 5 }] }),
          out('OS-E2', 'OSE', '2026-03-06', { lines: [{ code: 'TDRUG', date: '2026-03-06', days: 5 }] }),
        ],
      },
      // chronic (I10, and C34 under the prefix C) within 30 days
      {
        hit: [],
        people: [['OSF'], ['OSG']],
        settlements: [
          out('OS-F1', 'OSF', '2026-03-01', {
            dx: 'I10',
            lines: [{ code: 'TDRUG', date: '2026-03-01', days: 28 }],
          }),
          out('OS-G1', 'OSG', '2026-03-01', {
            dx: 'C34.1',
            lines: [{ code: 'TDRUG', date: '2026-03-01', days: 30 }],
          }),
        ],
      },
    ],
  },
  double_charge: {
    region: '320106',
    positive: [
      {
        hit: ['DC-A1'],
        people: [['DCA']],
        settlements: [
          out('DC-A1', 'DCA', '2026-03-01', {
            lines: [
              { code: 'TINC_A', date: '2026-03-01' },
              { code: 'TINC_B', date: '2026-03-01' },
            ],
          }),
        ],
      },
      {
        hit: ['DC-B1'],
        people: [['DCB']],
        settlements: [
          inp('DC-B1', 'DCB', '2026-03-01', '2026-03-04', {
            lines: [
              { code: 'TEXAM', date: '2026-03-01' },
              { code: 'TINC_B', date: '2026-03-02' },
              { code: 'TINC_A', date: '2026-03-02' },
            ],
          }),
        ],
      },
      {
        hit: ['DC-C1'],
        people: [['DCC']],
        settlements: [
          inp('DC-C1', 'DCC', '2026-03-01', '2026-03-04', {
            lines: [
              { code: 'TINC_A', date: '2026-03-02', qty: 2 },
              { code: 'TINC_B', date: '2026-03-02' },
            ],
          }),
        ],
      },
    ],
    negative: [
      {
        hit: [],
        people: [['DCD']],
        settlements: [
          inp('DC-D1', 'DCD', '2026-03-01', '2026-03-04', {
            lines: [
              { code: 'TINC_A', date: '2026-03-01' },
              { code: 'TINC_B', date: '2026-03-02' },
            ],
          }),
        ],
      },
      {
        hit: [],
        people: [['DCE']],
        settlements: [out('DC-E1', 'DCE', '2026-03-01', { lines: [{ code: 'TINC_B', date: '2026-03-01' }] })],
      },
      // the two in different settlements of the same day
      {
        hit: [],
        people: [['DCF']],
        settlements: [
          out('DC-F1', 'DCF', '2026-03-01', { lines: [{ code: 'TINC_A', date: '2026-03-01' }] }),
          out('DC-F2', 'DCF', '2026-03-01', {
            institution: 'H002',
            lines: [{ code: 'TINC_B', date: '2026-03-01' }],
          }),
        ],
      },
    ],
  },
  over_standard: {
    region: '320107',
    positive: [
      {
        hit: ['ST-A1'],
        people: [['STA']],
        settlements: [
          inp('ST-A1', 'STA', '2026-03-01', '2026-03-04', {
            lines: [{ code: 'TBED', date: '2026-03-01', qty: 5 }],
          }),
        ],
      },
      {
        hit: ['ST-B1'],
        people: [['STB']],
        settlements: [
          inp('ST-B1', 'STB', '2026-03-01', '2026-03-01', {
            lines: [{ code: 'TNURSE', date: '2026-03-01', qty: 2 }],
          }),
        ],
      },
      {
        hit: ['ST-C1'],
        people: [['STC']],
        settlements: [
          inp('ST-C1', 'STC', '2026-03-01', '2026-03-11', {
            lines: [
              { code: 'TBED', date: '2026-03-01', qty: 6 },
              { code: 'TBED', date: '2026-03-07', qty: 6 },
            ],
          }),
        ],
      },
    ],
    negative: [
      {
        hit: [],
        people: [['STD']],
        settlements: [
          inp('ST-D1', 'STD', '2026-03-01', '2026-03-04', {
            lines: [{ code: 'TBED', date: '2026-03-01', qty: 3 }],
          }),
        ],
      },
      {
        hit: [],
        people: [['STE']],
        settlements: [
          inp('ST-E1', 'STE', '2026-03-01', '2026-03-01', {
            lines: [{ code: 'TNURSE', date: '2026-03-01', qty: 1 }],
          }),
        ],
      },
      // an outpatient settlement is no stay
      {
        hit: [],
        people: [['STF']],
        settlements: [
          out('ST-F1', 'STF', '2026-03-01', { lines: [{ code: 'TNURSE', date: '2026-03-01', qty: 3 }] }),
        ],
      },
    ],
  },
  unbundling: {
    region: '320108',
    positive: [
      {
        hit: ['UB-A1'],
        people: [['UBA']],
        settlements: [
          out('UB-A1', 'UBA', '2026-03-01', {
            lines: [
              { code: 'TP1', date: '2026-03-01' },
              { code: 'TP2', date: '2026-03-01' },
            ],
          }),
        ],
      },
      {
        hit: ['UB-B1'],
        people: [['UBB']],
        settlements: [
          out('UB-B1', 'UBB', '2026-03-01', {
            lines: [
              { code: 'TP1', date: '2026-03-01' },
              { code: 'TP2', date: '2026-03-01' },
              { code: 'TP3', date: '2026-03-01' },
            ],
          }),
        ],
      },
      {
        hit: ['UB-C1'],
        people: [['UBC']],
        settlements: [
          inp('UB-C1', 'UBC', '2026-03-01', '2026-03-04', {
            lines: [
              { code: 'TEXAM', date: '2026-03-01' },
              { code: 'TP2', date: '2026-03-02' },
              { code: 'TP3', date: '2026-03-02' },
            ],
          }),
        ],
      },
    ],
    negative: [
      {
        hit: [],
        people: [['UBD']],
        settlements: [
          out('UB-D1', 'UBD', '2026-03-01', {
            lines: [
              { code: 'TP1', date: '2026-03-01' },
              { code: 'TP2', date: '2026-03-01' },
              { code: 'TBUNDLE', date: '2026-03-01' },
            ],
          }),
        ],
      },
      {
        hit: [],
        people: [['UBE']],
        settlements: [out('UB-E1', 'UBE', '2026-03-01', { lines: [{ code: 'TP1', date: '2026-03-01' }] })],
      },
      {
        hit: [],
        people: [['UBF']],
        settlements: [
          inp('UB-F1', 'UBF', '2026-03-01', '2026-03-04', {
            lines: [
              { code: 'TP1', date: '2026-03-01' },
              { code: 'TP2', date: '2026-03-02' },
            ],
          }),
        ],
      },
    ],
  },
  sex_mismatch: {
    region: '320109',
    positive: [
      {
        hit: ['SX-A1'],
        people: [['SXA', { sex: '女' }]],
        settlements: [out('SX-A1', 'SXA', '2026-03-01', { lines: [{ code: 'TMALE', date: '2026-03-01' }] })],
      },
      {
        hit: ['SX-B1'],
        people: [['SXB', { sex: '男' }]],
        settlements: [
          out('SX-B1', 'SXB', '2026-03-01', { lines: [{ code: 'TFEMALE', date: '2026-03-01' }] }),
        ],
      },
      {
        hit: ['SX-C1'],
        people: [['SXC', { sex: '女' }]],
        settlements: [
          out('SX-C1', 'SXC', '2026-03-01', {
            lines: [
              { code: 'TEXAM', date: '2026-03-01' },
              { code: 'TMALE', date: '2026-03-01' },
              { code: 'TMALE', date: '2026-03-01' },
            ],
          }),
        ],
      },
    ],
    negative: [
      {
        hit: [],
        people: [['SXD', { sex: '男' }]],
        settlements: [out('SX-D1', 'SXD', '2026-03-01', { lines: [{ code: 'TMALE', date: '2026-03-01' }] })],
      },
      {
        hit: [],
        people: [['SXE', { sex: '女' }]],
        settlements: [
          out('SX-E1', 'SXE', '2026-03-01', { lines: [{ code: 'TFEMALE', date: '2026-03-01' }] }),
        ],
      },
      {
        hit: [],
        people: [['SXF', { sex: '女' }]],
        settlements: [out('SX-F1', 'SXF', '2026-03-01', { lines: [{ code: 'TEXAM', date: '2026-03-01' }] })],
      },
    ],
  },
  age_mismatch: {
    region: '320110',
    positive: [
      {
        hit: ['AG-A1'],
        people: [['AGA', { birth: '1990-05-01' }]],
        settlements: [out('AG-A1', 'AGA', '2026-03-01', { lines: [{ code: 'TCHILD', date: '2026-03-01' }] })],
      },
      {
        hit: ['AG-B1'],
        people: [['AGB', { birth: '2020-06-01' }]],
        settlements: [out('AG-B1', 'AGB', '2026-03-01', { lines: [{ code: 'TADULT', date: '2026-03-01' }] })],
      },
      // seven on the day: past the maximum of six
      {
        hit: ['AG-C1'],
        people: [['AGC', { birth: '2019-03-01' }]],
        settlements: [out('AG-C1', 'AGC', '2026-03-01', { lines: [{ code: 'TCHILD', date: '2026-03-01' }] })],
      },
    ],
    negative: [
      // six until tomorrow
      {
        hit: [],
        people: [['AGD', { birth: '2019-03-02' }]],
        settlements: [out('AG-D1', 'AGD', '2026-03-01', { lines: [{ code: 'TCHILD', date: '2026-03-01' }] })],
      },
      // eighteen today
      {
        hit: [],
        people: [['AGE', { birth: '2008-03-01' }]],
        settlements: [out('AG-E1', 'AGE', '2026-03-01', { lines: [{ code: 'TADULT', date: '2026-03-01' }] })],
      },
      {
        hit: [],
        people: [['AGF', { birth: '2024-01-01' }]],
        settlements: [out('AG-F1', 'AGF', '2026-03-01', { lines: [{ code: 'TEXAM', date: '2026-03-01' }] })],
      },
    ],
  },
  restricted_dx: {
    region: '320111',
    positive: [
      {
        hit: ['RD-A1'],
        people: [['RDA']],
        settlements: [
          out('RD-A1', 'RDA', '2026-03-01', { dx: 'J06.9', lines: [{ code: 'TRDRUG', date: '2026-03-01' }] }),
        ],
      },
      {
        hit: ['RD-B1'],
        people: [['RDB']],
        settlements: [
          out('RD-B1', 'RDB', '2026-03-01', {
            dx: 'I10',
            otherDx: ['J44.1'],
            lines: [{ code: 'TRDRUG', date: '2026-03-01' }],
          }),
        ],
      },
      {
        hit: ['RD-C1'],
        people: [['RDC']],
        settlements: [
          out('RD-C1', 'RDC', '2026-03-01', { dx: 'E12.0', lines: [{ code: 'TRDRUG', date: '2026-03-01' }] }),
        ],
      },
    ],
    negative: [
      {
        hit: [],
        people: [['RDD']],
        settlements: [
          out('RD-D1', 'RDD', '2026-03-01', { dx: 'E11.9', lines: [{ code: 'TRDRUG', date: '2026-03-01' }] }),
        ],
      },
      {
        hit: [],
        people: [['RDE']],
        settlements: [
          out('RD-E1', 'RDE', '2026-03-01', {
            dx: 'I10',
            otherDx: ['J44.1', 'E10.2'],
            lines: [{ code: 'TRDRUG', date: '2026-03-01' }],
          }),
        ],
      },
      {
        hit: [],
        people: [['RDF']],
        settlements: [
          out('RD-F1', 'RDF', '2026-03-01', { dx: 'J06.9', lines: [{ code: 'TDRUG', date: '2026-03-01' }] }),
        ],
      },
    ],
  },
  after_death: {
    region: '320112',
    positive: [
      {
        hit: ['AD-A1'],
        people: [['ADA', { death: '2026-02-01' }]],
        settlements: [out('AD-A1', 'ADA', '2026-03-01', { lines: [{ code: 'TEXAM', date: '2026-03-01' }] })],
      },
      {
        hit: ['AD-B1'],
        people: [['ADB', { death: '2026-03-05' }]],
        settlements: [
          inp('AD-B1', 'ADB', '2026-03-01', '2026-03-10', {
            lines: [
              { code: 'TEXAM', date: '2026-03-02' },
              { code: 'TEXAM', date: '2026-03-06' },
            ],
          }),
        ],
      },
      {
        hit: ['AD-C1'],
        people: [['ADC', { death: '2026-03-01' }]],
        settlements: [out('AD-C1', 'ADC', '2026-03-02')],
      },
    ],
    negative: [
      // care until the day of death
      {
        hit: [],
        people: [['ADD', { death: '2026-03-10' }]],
        settlements: [
          inp('AD-D1', 'ADD', '2026-03-01', '2026-03-10', { lines: [{ code: 'TEXAM', date: '2026-03-10' }] }),
        ],
      },
      {
        hit: [],
        people: [['ADE']],
        settlements: [out('AD-E1', 'ADE', '2026-03-01', { lines: [{ code: 'TEXAM', date: '2026-03-01' }] })],
      },
      {
        hit: [],
        people: [['ADF', { death: '2026-05-01' }]],
        settlements: [out('AD-F1', 'ADF', '2026-03-01', { lines: [{ code: 'TEXAM', date: '2026-03-01' }] })],
      },
    ],
  },
};

/** The hits of a rule in its region, each as its settlements' serials (sorted), sorted. */
async function hitsOf(code: string, params = defaultParams(ruleByCode(code) as never)): Promise<string[][]> {
  const rule = ruleByCode(code);
  if (!rule) throw new Error(code);
  const scope = { regionPrefix: CASES[code]?.region as string, from: '2026-01-01', to: '2026-12-31' };
  const { rows } = await sql<{ serials: string[] }>`
    select array(select serial from fund_settlement where id = any (h.settlement_ids) order by serial) as serials
    from (${ruleHits(rule, params, scope)}) h`.execute(db());
  return rows.map((row) => row.serials).sort((a, b) => a.join().localeCompare(b.join()));
}

beforeAll(async () => {
  database = await openTestDatabase();
  await addTestItems(db());
  for (const { region, positive, negative } of Object.values(CASES))
    for (const each of [...positive, ...negative]) {
      for (const [name, person] of each.people) await addPerson(db(), name, { ...person, region });
      for (const settlement of each.settlements) await addSettlement(db(), { ...settlement, region });
    }
}, 120_000);
afterAll(() => database?.close());

describe('the twelve audit rules on hand-built settlements', () => {
  it('has twelve rules, each with three positive and three negative cases here', () => {
    expect(RULES.map((rule) => rule.code).sort()).toEqual(Object.keys(CASES).sort());
    for (const { positive, negative } of Object.values(CASES)) {
      expect(positive.length).toBeGreaterThanOrEqual(3);
      expect(negative.length).toBeGreaterThanOrEqual(3);
    }
  });

  for (const code of Object.keys(CASES))
    it(`${code}: hits every positive case and no negative one`, async () => {
      const expected = (CASES[code]?.positive ?? []).map((each) => [...each.hit].sort());
      expect(await hitsOf(code)).toEqual(expected.sort((a, b) => a.join().localeCompare(b.join())));
    });

  it('parameters move the line: 分解住院 within 20 days, 超量开药 with 12 acute days, 挂床 at half the days', async () => {
    const split = await hitsOf('split_admission', { days: 20, plannedPrefixes: ['Z51', 'Z49'] });
    expect(split).toContainEqual(['SA-E1', 'SA-E2']);
    // without planned-course prefixes the chemotherapy readmission becomes a hit
    expect(await hitsOf('split_admission', { days: 15, plannedPrefixes: [] })).toContainEqual([
      'SA-D1',
      'SA-D2',
    ]);
    const supply = await hitsOf('over_supply', {
      acuteDays: 12,
      chronicDays: 30,
      chronicDx: ['E11', 'I10', 'C'],
    });
    expect(supply).not.toContainEqual(['OS-A1']);
    expect(supply).not.toContainEqual(['OS-B1', 'OS-B2']);
    expect(await hitsOf('phantom_bed', { minDays: 3, minActiveShare: 0.5 })).toContainEqual(['PB-E1']);
  });
});
