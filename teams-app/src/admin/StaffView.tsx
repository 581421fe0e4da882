import {
  Button, Dialog, DialogActions, DialogBody, DialogContent, DialogSurface, DialogTitle, Field, Input, MessageBar, MessageBarBody, Select, Spinner, Text,
} from '@fluentui/react-components';
import { useCallback, useEffect, useState } from 'react';
import type { Api } from '../api';
import type { Me } from '../types';
import { date } from '../format';
import type { StaffList, StaffMembership, StaffPerson } from './types';
import { ScrollRegion, useAdminStyles } from './shared';

const ROLE_NAMES: Record<string, string> = { clinician: 'Clinician', 'duty-lead': 'Duty lead', admin: 'Admin' };
const roleName = (role: string) => ROLE_NAMES[role] ?? role;

type Pending = { kind: 'add' } | { kind: 'remove'; person: StaffPerson; membership: StaffMembership };

/** The staff of the reader's services: add someone, change a role, end a membership (with the CLI's rules, kept by the server). */
export function StaffView({ api, me }: { api: Api; me: Me }) {
  const styles = useAdminStyles();
  const [list, setList] = useState<StaffList>();
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const [pending, setPending] = useState<Pending>();
  const [form, setForm] = useState({ email: '', name: '', role: 'clinician', service: '' });
  const [formError, setFormError] = useState<string>();

  const load = useCallback(() => {
    // A reload leaves any message standing: the list reloaded after a refusal must not wipe the
    // refusal ("you cannot change the role of the last admin…") a moment after it appeared.
    api.get<StaffList>('/admin/staff').then(setList, (e: Error) => setError(e.message));
  }, [api]);
  useEffect(load, [load]);
  // While a dialog is open the page behind it is inert, as in the conversation view (the dialog is portalled outside #root).
  useEffect(() => {
    const root = document.getElementById('root');
    if (!root || pending === undefined) return;
    root.inert = true;
    return () => { root.inert = false; };
  }, [pending]);

  const act = async (work: () => Promise<unknown>, success: string) => {
    setDone(undefined);
    try {
      await work();
      setError(undefined);
      setDone(success);
      load();
    } catch (e) {
      setError((e as Error).message);
      load();
    }
  };

  const changeRole = (person: StaffPerson, m: StaffMembership, role: string) =>
    act(() => api.post(`/admin/staff/memberships/${m.id}`, { role }), `${person.name} is now ${roleName(role).toLowerCase()} in ${m.serviceName}.`);

  const openAdd = () => {
    setForm({ email: '', name: '', role: 'clinician', service: list?.services[0]?.slug ?? '' });
    setFormError(undefined);
    setPending({ kind: 'add' });
  };
  const submitAdd = async () => {
    try {
      const result = await api.post<{ created: boolean }>('/admin/staff', form);
      const service = list?.services.find((s) => s.slug === form.service)?.name ?? form.service;
      setPending(undefined);
      setError(undefined);
      setDone(`${result.created ? `${form.name.trim()} is added` : 'That person (already on the staff list) is added'} as ${roleName(form.role).toLowerCase()} in ${service}.`);
      load();
    } catch (e) {
      setFormError((e as Error).message);
    }
  };

  const formReady = form.email.trim() && form.name.trim() && form.role && form.service;
  return (
    <section className={styles.stack} aria-label="Staff and memberships">
      <Text as="h2" size={500} weight="semibold">Staff and memberships</Text>
      <Text size={200} className={styles.muted}>People in the services where you are an admin. Every service keeps at least one admin. People sign in with their organisation account; the email here must match it.</Text>
      <div className={styles.row}><Button appearance="primary" onClick={openAdd} disabled={!list}>Add a person or membership</Button></div>
      {error && <MessageBar intent="error" layout="multiline"><MessageBarBody>{error}</MessageBarBody></MessageBar>}
      {done && <MessageBar intent="success" layout="multiline"><MessageBarBody>{done}</MessageBarBody></MessageBar>}
      {!list && !error && <Spinner size="small" label="Loading staff…" />}
      {list && (
        <ScrollRegion label="Staff list">
          <table className={styles.table}>
            <thead>
              <tr>{['Name', 'Email', 'Service', 'Role', 'Since', 'Actions'].map((h) => <th key={h} scope="col" className={styles.th}>{h}</th>)}</tr>
            </thead>
            <tbody>
              {list.staff.flatMap((p) => p.memberships.map((m, i) => (
                <tr key={m.id} data-membership={m.id} data-person={p.email}>
                  <td className={styles.td}>{i === 0 ? p.name : ''}{p.id === me.id && i === 0 ? ' (you)' : ''}</td>
                  <td className={styles.td}>{i === 0 ? p.email : ''}</td>
                  <td className={styles.td}>{m.serviceName}</td>
                  <td className={styles.td}>
                    <Select size="small" aria-label={`Role of ${p.name} in ${m.serviceName}`} value={m.role} onChange={(_, d) => void changeRole(p, m, d.value)}>
                      {list.roles.map((r) => <option key={r} value={r}>{roleName(r)}</option>)}
                    </Select>
                  </td>
                  <td className={`${styles.td} ${styles.nowrap}`}>{date(m.since)}</td>
                  <td className={styles.td}>
                    <Button size="small" onClick={() => setPending({ kind: 'remove', person: p, membership: m })} aria-label={`Remove ${p.name} from ${m.serviceName}`}>Remove</Button>
                  </td>
                </tr>
              )))}
            </tbody>
          </table>
        </ScrollRegion>
      )}
      <Dialog open={pending !== undefined} onOpenChange={(_, d) => !d.open && setPending(undefined)}>
        <DialogSurface>
          <DialogBody>
            <DialogTitle>{pending?.kind === 'remove' ? 'Remove from the service?' : 'Add a person or membership'}</DialogTitle>
            <DialogContent>
              {pending?.kind === 'remove' && (
                <Text>
                  {pending.person.name} will no longer be {roleName(pending.membership.role).toLowerCase()} in {pending.membership.serviceName}: they stop seeing its conversations at once. Their other memberships stay.
                </Text>
              )}
              {pending?.kind === 'add' && (
                <form className={styles.stack} id="add-staff" onSubmit={(e) => { e.preventDefault(); if (formReady) void submitAdd(); }}>
                  <Text size={200}>Someone already on the staff list (by email) keeps their name and gets this membership too.</Text>
                  <Field label="Email" required><Input type="email" value={form.email} onChange={(_, d) => setForm((f) => ({ ...f, email: d.value }))} /></Field>
                  <Field label="Name" required><Input value={form.name} onChange={(_, d) => setForm((f) => ({ ...f, name: d.value }))} /></Field>
                  <Field label="Role" required>
                    <Select value={form.role} onChange={(_, d) => setForm((f) => ({ ...f, role: d.value }))}>
                      {(list?.roles ?? []).map((r) => <option key={r} value={r}>{roleName(r)}</option>)}
                    </Select>
                  </Field>
                  <Field label="Service" required>
                    <Select value={form.service} onChange={(_, d) => setForm((f) => ({ ...f, service: d.value }))}>
                      {(list?.services ?? []).map((s) => <option key={s.slug} value={s.slug}>{s.name}</option>)}
                    </Select>
                  </Field>
                  {formError && <MessageBar intent="error" layout="multiline"><MessageBarBody>{formError}</MessageBarBody></MessageBar>}
                </form>
              )}
            </DialogContent>
            <DialogActions>
              <Button onClick={() => setPending(undefined)}>Cancel</Button>
              {pending?.kind === 'add' && <Button appearance="primary" type="submit" form="add-staff" disabled={!formReady}>Add</Button>}
              {pending?.kind === 'remove' && (
                <Button appearance="primary" onClick={() => {
                  const { person, membership } = pending;
                  setPending(undefined);
                  void act(() => api.post(`/admin/staff/memberships/${membership.id}/remove`), `${person.name} is removed from ${membership.serviceName}.`);
                }}>Remove</Button>
              )}
            </DialogActions>
          </DialogBody>
        </DialogSurface>
      </Dialog>
    </section>
  );
}
