import { InitialSchema1764000000000 } from './1764000000000-InitialSchema';
import { TriageAndEscalation1764100000000 } from './1764100000000-TriageAndEscalation';
import { InboxActions1764200000000 } from './1764200000000-InboxActions';
import { TeamsChannels1764300000000 } from './1764300000000-TeamsChannels';
import { EscalationByConversation1764400000000 } from './1764400000000-EscalationByConversation';
import { AuditChain1764500000000 } from './1764500000000-AuditChain';
import { ForeignKeys1764600000000 } from './1764600000000-ForeignKeys';
import { ReplyTemplates1764700000000 } from './1764700000000-ReplyTemplates';
import { Webchat1764800000000 } from './1764800000000-Webchat';
import { PerPersonReads1764900000000 } from './1764900000000-PerPersonReads';
import { QueueIndexes1765000000000 } from './1765000000000-QueueIndexes';
import { OpenQueueIndex1765100000000 } from './1765100000000-OpenQueueIndex';
import { TeamsCards1765200000000 } from './1765200000000-TeamsCards';
import { StaffAlerts1765300000000 } from './1765300000000-StaffAlerts';
import { ReportFigures1765400000000 } from './1765400000000-ReportFigures';
import { Governance1765500000000 } from './1765500000000-Governance';
import { OneOpenEscalation1765600000000 } from './1765600000000-OneOpenEscalation';

/** In order. A new migration is appended here; an applied one is never edited. */
export const migrations = [InitialSchema1764000000000, TriageAndEscalation1764100000000, InboxActions1764200000000, TeamsChannels1764300000000, EscalationByConversation1764400000000, AuditChain1764500000000, ForeignKeys1764600000000, ReplyTemplates1764700000000, Webchat1764800000000, PerPersonReads1764900000000, QueueIndexes1765000000000, OpenQueueIndex1765100000000, TeamsCards1765200000000, StaffAlerts1765300000000, ReportFigures1765400000000, Governance1765500000000, OneOpenEscalation1765600000000];
