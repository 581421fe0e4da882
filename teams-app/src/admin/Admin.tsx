import { Text } from '@fluentui/react-components';
import type { Api } from '../api';
import type { Me, Services } from '../types';

/** Admins' screens (issue 12 item 6): audit, staff, services, failed and delayed sends. */
export function Admin(_props: { api: Api; me: Me; services: Services; onOpenConversation: (id: string) => void }) {
  return <Text>Admin.</Text>;
}
