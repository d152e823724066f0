import type {
  AssistanceIdentity,
  CertificateKind,
  EnrollmentEnd,
  Scheme,
  VisitType,
} from './ledgers.tables.js';

export type { AssistanceIdentity, CertificateKind, EnrollmentEnd, Scheme, VisitType };

// A person of the insured roster with their records, as the roster stores them: an import or the
// synthetic roster of the demo (src/modules/demo/roster.ts) hands people in this shape to storePeople.

export interface RosterEnrollment {
  scheme: Scheme;
  employer: string | null;
  startedOn: string;
  paidThrough: string | null;
  endedOn: string | null;
  endReason: EnrollmentEnd | null;
}

export interface RosterStatus {
  identity: AssistanceIdentity;
  source: string;
  includedOn: string;
  exitedOn: string | null;
}

export interface RosterContribution {
  scheme: Scheme;
  periodYear: number;
  paidOn: string;
  amount: number;
  subsidy: number;
}

export interface RosterSettlement {
  visitType: VisitType;
  institution: string;
  visitStart: string;
  visitEnd: string;
  settledOn: string;
  totalCost: number;
  insurancePaid: number;
  assistancePaid: number;
  criticalPaid: number;
  reassistancePaid: number;
}

export interface RosterCertificate {
  kind: CertificateKind;
  disease: string;
  issuedOn: string;
  revokedOn: string | null;
}

/** What storePeople needs of a person: who they are and their records. */
export interface RosterPersonRecords {
  idNumber: string;
  name: string;
  address: string | null;
  enrollments: readonly RosterEnrollment[];
  statuses: readonly RosterStatus[];
  contributions: readonly RosterContribution[];
  settlements: readonly RosterSettlement[];
  certificates: readonly RosterCertificate[];
}
