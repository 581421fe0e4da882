import { makeStyles, Tab, TabList } from '@fluentui/react-components';
import { useState } from 'react';
import type { Api } from '../api';
import type { Me, Services } from '../types';
import { AuditViewer } from './AuditViewer';
import { OutboxView } from './OutboxView';
import { StaffView } from './StaffView';
import { ServicesView } from './ServicesView';

const useStyles = makeStyles({
  root: { display: 'flex', flexDirection: 'column', gap: '12px', minWidth: 0 },
  tabs: { flexWrap: 'wrap' },
});

type Screen = 'audit' | 'outbox' | 'staff' | 'services';

/** Admins' screens (issue 12 item 6): audit, failed and delayed sends, staff, services. Each covers only the services where the reader is an admin. */
export function Admin({ api, me, services, onOpenConversation }: { api: Api; me: Me; services: Services; onOpenConversation: (id: string) => void }) {
  const styles = useStyles();
  const [screen, setScreen] = useState<Screen>('audit');
  return (
    <div className={styles.root}>
      <TabList selectedValue={screen} onTabSelect={(_, d) => setScreen(d.value as Screen)} aria-label="Admin screens" className={styles.tabs}>
        <Tab value="audit">Audit trail</Tab>
        <Tab value="outbox">Failed and delayed sends</Tab>
        <Tab value="staff">Staff</Tab>
        <Tab value="services">Services</Tab>
      </TabList>
      {screen === 'audit' && <AuditViewer api={api} services={services} onOpenConversation={onOpenConversation} />}
      {screen === 'outbox' && <OutboxView api={api} onOpenConversation={onOpenConversation} />}
      {screen === 'staff' && <StaffView api={api} me={me} />}
      {screen === 'services' && <ServicesView api={api} />}
    </div>
  );
}
