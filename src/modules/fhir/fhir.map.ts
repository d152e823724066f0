import type {
  Attachment,
  AuditEvent,
  Claim,
  Coverage,
  DocumentReference,
  ExplanationOfBenefit,
  Money,
  Patient,
} from '@medplum/fhirtypes';
import { beijingIso } from '../../shared/beijing-time.js';
import { maskIdNumber } from '../../shared/id-in-text.js';
import { maskName } from '../../shared/masking.js';
import type { Item } from '../catalog/item.schema.js';
import type { EventView } from '../integrity/events.service.js';
import { maskAddress } from '../ledgers/ledger.mask.js';
import type { RosterEnrollmentRow, RosterPersonRow, RosterSettlementRow } from '../ledgers/roster.queries.js';

// Yidang's records as FHIR R4 resources. The code systems below are Yidang's own (no national FHIR
// code system exists for them); a Patient's id is the blind index of the ID number, the only key
// items and the roster share, so a reference never carries the number itself.

export const SYSTEM = {
  residentId: 'urn:yidang:fhir:resident-id',
  archiveCode: 'urn:yidang:fhir:archive-code',
  category: 'urn:yidang:fhir:category',
  scheme: 'urn:yidang:fhir:insurance-scheme',
  eventType: 'urn:yidang:fhir:event-type',
  errorCode: 'urn:yidang:fhir:error-code',
  adjudication: 'urn:yidang:fhir:adjudication',
  digest: 'urn:yidang:fhir:StructureDefinition/attachment-digest',
  claimType: 'http://terminology.hl7.org/CodeSystem/claim-type',
  hl7Adjudication: 'http://terminology.hl7.org/CodeSystem/adjudication',
  priority: 'http://terminology.hl7.org/CodeSystem/processpriority',
  confidentiality: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality',
} as const;

export const SCHEMES = { employee: '职工基本医疗保险', resident: '城乡居民基本医疗保险' } as const;
/** Claim types of HL7's claim-type code system for the two kinds of visit. */
export const CLAIM_TYPES = { inpatient: 'institutional', outpatient: 'professional' } as const;
const CLAIM_TYPE_NAMES = { institutional: '住院', professional: '门诊' } as const;

/** A FHIR instant in Beijing time from a day or a stored time (PostgreSQL may write `+00` for the zone). */
function instant(value: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return `${value}T00:00:00+08:00`;
  const time = Date.parse(value.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00'));
  if (Number.isNaN(time)) throw new Error(`not a time: ${value.slice(0, 40)}`);
  return beijingIso(time, { precise: true });
}
const money = (value: string): Money => ({ value: Number(value), currency: 'CNY' as Money['currency'] });
const patientRef = (index: string, display: string | null) => ({
  reference: `Patient/${index}`,
  ...(display ? { display } : {}),
});

/** What a person's records show of them: in full only when the reader may and chose to unmask. */
export interface Shown {
  unmask: boolean;
}
const nameOf = (name: string, shown: Shown) => (shown.unmask ? name : (maskName(name) ?? ''));

export function toPatient(row: RosterPersonRow, shown: Shown): Patient {
  const idNumber = shown.unmask ? row.idNumber : (maskIdNumber(row.idNumber) ?? '');
  const patient: Patient = {
    resourceType: 'Patient',
    id: row.idIndex,
    identifier: [{ use: 'official', system: SYSTEM.residentId, value: idNumber }],
    name: [{ use: 'official', text: nameOf(row.name, shown) }],
    address: [
      {
        use: 'home',
        district: row.regionCode,
        ...(row.address ? { text: shown.unmask ? row.address : (maskAddress(row.address) ?? '') } : {}),
      },
    ],
  };
  // Sex and birth date are digits of the ID number the mask hides: shown only with it.
  if (shown.unmask && /^\d{17}[\dX]$/.test(row.idNumber)) {
    patient.gender = Number(row.idNumber[16]) % 2 === 1 ? 'male' : 'female';
    patient.birthDate = `${row.idNumber.slice(6, 10)}-${row.idNumber.slice(10, 12)}-${row.idNumber.slice(12, 14)}`;
  }
  return patient;
}

export function toCoverage(row: RosterEnrollmentRow, shown: Shown): Coverage {
  return {
    resourceType: 'Coverage',
    id: String(row.id),
    status: row.endedOn ? 'cancelled' : 'active',
    type: { coding: [{ system: SYSTEM.scheme, code: row.scheme, display: SCHEMES[row.scheme] }] },
    beneficiary: patientRef(row.personIndex, nameOf(row.personName, shown)),
    ...(row.employer ? { policyHolder: { display: row.employer } } : {}),
    period: { start: row.startedOn, ...(row.endedOn ? { end: row.endedOn } : {}) },
    payor: [{ display: `医疗保障基金（参保地 ${row.regionCode}）` }],
  };
}

const claimType = (row: RosterSettlementRow) => {
  const code = CLAIM_TYPES[row.visitType];
  return { coding: [{ system: SYSTEM.claimType, code, display: CLAIM_TYPE_NAMES[code] }] };
};
/** The enrollment in force at the visit, else a note of what paid (the roster may not hold it). */
const coverageOf = (row: RosterSettlementRow) =>
  row.coverageId === null
    ? { display: '基本医疗保险与医疗救助' }
    : { reference: `Coverage/${row.coverageId}`, display: '基本医疗保险与医疗救助' };

export function toClaim(row: RosterSettlementRow, shown: Shown): Claim {
  return {
    resourceType: 'Claim',
    id: String(row.id),
    status: 'active',
    type: claimType(row),
    use: 'claim',
    patient: patientRef(row.personIndex, nameOf(row.personName, shown)),
    billablePeriod: { start: row.visitStart, end: row.visitEnd },
    created: row.settledOn,
    provider: { display: row.institution },
    priority: { coding: [{ system: SYSTEM.priority, code: 'normal' }] },
    insurance: [{ sequence: 1, focal: true, coverage: coverageOf(row) }],
    total: money(row.totalCost),
  };
}

const adjudication = (system: string, code: string, display: string, amount: string) => ({
  category: { coding: [{ system, code, display }] },
  amount: money(amount),
});

export function toExplanationOfBenefit(row: RosterSettlementRow, shown: Shown): ExplanationOfBenefit {
  return {
    resourceType: 'ExplanationOfBenefit',
    id: String(row.id),
    status: 'active',
    type: claimType(row),
    use: 'claim',
    patient: patientRef(row.personIndex, nameOf(row.personName, shown)),
    billablePeriod: { start: row.visitStart, end: row.visitEnd },
    created: row.settledOn,
    insurer: { display: `医疗保障部门（参保地 ${row.regionCode}）` },
    provider: { display: row.institution },
    claim: { reference: `Claim/${row.id}` },
    outcome: 'complete',
    insurance: [{ focal: true, coverage: coverageOf(row) }],
    total: [
      adjudication(SYSTEM.hl7Adjudication, 'submitted', '医疗费用总额', row.totalCost),
      adjudication(SYSTEM.hl7Adjudication, 'benefit', '基本医保支付', row.insurancePaid),
      adjudication(SYSTEM.adjudication, 'assistance', '医疗救助支付', row.assistancePaid),
      adjudication(SYSTEM.adjudication, 'critical', '大病保险支付', row.criticalPaid),
      adjudication(SYSTEM.adjudication, 'reassistance', '倾斜救助支付', row.reassistancePaid),
    ],
  };
}

/** What a DocumentReference shows of each file. */
export interface FhirFile {
  fileNumber: number;
  fileName: string;
  mediaType: string;
  size: number;
  digest: string;
  addedAt: string;
}

const CONFIDENTIALITY = {
  normal: ['N', '普通'],
  sensitive: ['R', '敏感'],
  restricted: ['V', '限制'],
} as const;

function attachment(file: FhirFile, url: string): Attachment {
  return {
    contentType: file.mediaType,
    url,
    size: file.size,
    title: file.fileName,
    creation: instant(file.addedAt),
    // R4's Attachment.hash is SHA-1; the stored digest (SHA-256 or SM3) goes in an extension.
    extension: [{ url: SYSTEM.digest, valueString: file.digest }],
  };
}

/**
 * An item as a DocumentReference, disclosed as the catalog disclosed it (masked unless unmasked);
 * `files` absent when the reader may not list files, `personIndex` when the item names a person.
 */
export function toDocumentReference(
  item: Item,
  options: { personIndex?: string; files?: FhirFile[]; fileUrl: (number: number) => string },
): DocumentReference {
  const reference: DocumentReference = {
    resourceType: 'DocumentReference',
    id: String(item.id),
    masterIdentifier: { system: SYSTEM.archiveCode, value: item.archiveCode },
    status: 'current',
    content: [],
  };
  // A withheld entry (sensitive, no grant) shows its 档号 and nothing else, as in the JSON API.
  if (item.withheld) {
    reference.content = [{ attachment: { title: '敏感档案未获查阅授权：内容已隐去' } }];
    return reference;
  }
  const [code, label] =
    CONFIDENTIALITY[item.sensitivity as keyof typeof CONFIDENTIALITY] ?? CONFIDENTIALITY.restricted;
  reference.meta = { versionId: String(item.version), lastUpdated: instant(item.updatedAt) };
  reference.type = { coding: [{ system: SYSTEM.category, code: item.category, display: item.categoryName }] };
  reference.securityLabel = [{ coding: [{ system: SYSTEM.confidentiality, code, display: label }] }];
  reference.date = instant(item.date);
  reference.description = item.title;
  reference.author = [{ display: item.responsible }];
  reference.custodian = { display: `全宗 ${item.fonds}` };
  if (options.personIndex) reference.subject = patientRef(options.personIndex, item.name);
  if (item.businessType) reference.category = [{ text: item.businessType }];
  reference.context = { period: { start: item.date } };
  if (item.destroyed) reference.description = `${item.title}（已按销毁清册 ${item.destroyed.register} 销毁）`;
  const files = options.files;
  reference.content =
    files === undefined
      ? [{ attachment: { title: '电子文件（需“查阅电子文件”权限）' } }]
      : files.length === 0
        ? [{ attachment: { title: '无电子文件' } }]
        : files.map((file) => ({ attachment: attachment(file, options.fileUrl(file.fileNumber)) }));
  return reference;
}

/** What an event did, in DICOM's terms (C create, R read, U update, D delete, E execute). */
function auditAction(action: string): AuditEvent['action'] {
  if (/(read|viewed|unmasked|lookup|exported|downloaded|copied)$/.test(action)) return 'R';
  if (/(created|filed|added|stored|loaded|imported)$/.test(action)) return 'C';
  if (/(destroyed|deleted|removed|shredded)$/.test(action)) return 'D';
  return 'U';
}

/** An event of the log, as masked as the JSON API shows it (events.service). */
export function toAuditEvent(event: EventView): AuditEvent {
  const item = event.subject.startsWith('item:') ? event.subject.slice(5) : undefined;
  return {
    resourceType: 'AuditEvent',
    id: String(event.seq),
    type: { system: SYSTEM.eventType, code: event.action, display: event.actionLabel },
    action: auditAction(event.action),
    recorded: instant(event.recordedAt),
    outcome: '0',
    agent: [{ who: { display: event.actor }, requestor: true }],
    source: { observer: { display: '医档 Yidang' } },
    entity: [
      {
        what: item
          ? { identifier: { system: SYSTEM.archiveCode, value: item }, display: item }
          : { display: event.subject },
        detail: [
          { type: 'payload', valueString: JSON.stringify(event.payload) },
          { type: 'hash', valueString: event.hash },
        ],
      },
    ],
  };
}
