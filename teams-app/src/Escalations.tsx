import { Text } from '@fluentui/react-components';
import type { Api } from './api';
import type { Me, Services } from './types';

/** Duty leads' and admins' escalations screen (issue 12 item 4). */
export function Escalations(_props: { api: Api; me: Me; services: Services; onOpenConversation: (id: string) => void }) {
  return <Text>Escalations.</Text>;
}
