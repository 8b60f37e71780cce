//! A new configuration applied to a running core, without a restart: only the accounts that
//! changed register again; calls stay up.
//!
//! Accounts are matched by label. For each account of the new configuration:
//! * unchanged: untouched (its binding, flow and keep-alive go on);
//! * changed only in what registration does not use (auto-answer, voicemail, agent pattern,
//!   message waiting): updated in place (a message-waiting subscription starts or ends);
//! * changed in what registration uses but with the same address of record and registrar
//!   (a new password, expiry, transport, backup or proxy): its registration is replaced by a
//!   fresh one that the edge starts (the new REGISTER refreshes the same binding: same instance
//!   and reg-id, RFC 5626 §4.2.1; unregistering first would only open a gap);
//! * new, or with a new address of record or registrar: a fresh slot the edge starts.
//!
//! An account removed, disabled, or moved to another address of record or registrar is
//! *retired*: unregistered (RFC 3261 §10.2.2) in the background, and forgotten once that is
//! done or after [`super::STOP_TIMEOUT`]. A retired account reports no more
//! [`super::Output::AccountState`].

use std::time::Instant;

use super::account::AccountSlot;
use super::{Core, Life, STOP_TIMEOUT};
use crate::config::{Account, Config};

/// The `index` of a retired slot: no configuration index, so no lookup by index finds it.
pub(super) const RETIRED: usize = usize::MAX;

/// What [`Core::reconfigure`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconfigured {
    /// The accounts the edge must locate (RFC 3263) and start with
    /// [`Core::try_start_account_on`], by index in the new `Config::accounts`.
    pub start: Vec<usize>,
    /// The labels of the accounts being unregistered (removed, disabled or moved).
    pub retired: Vec<String>,
    /// The labels of the accounts updated in place, without registering again.
    pub updated: Vec<String>,
    /// `sip.listen` changed: only a restart binds the new address.
    pub needs_restart: bool,
}

impl Reconfigured {
    /// True when nothing changed.
    pub fn is_empty(&self) -> bool {
        *self == Reconfigured::default()
    }
}

impl Core {
    /// Applies `config` (already checked) to the running core: see the module documentation.
    /// Does nothing once the core is stopping.
    pub fn reconfigure(&mut self, now: Instant, config: &Config) -> Reconfigured {
        let mut done = Reconfigured::default();
        if self.life != Life::Running {
            return done;
        }
        done.needs_restart = config.sip.listen != self.settings.listen;
        self.settings = config.sip.clone();
        let mut kept = vec![false; self.slots.len()];
        for (index, account) in config.accounts.iter().enumerate().filter(|(_, a)| a.enabled) {
            let old = self.slots.iter().position(|s| s.index != RETIRED && s.account.label == account.label);
            match old {
                Some(slot) if self.slots[slot].account == *account => {
                    self.slots[slot].index = index;
                    kept[slot] = true;
                }
                Some(slot) if same_registration(&self.slots[slot].account, account) => {
                    self.slots[slot].index = index;
                    self.slots[slot].account = account.clone();
                    kept[slot] = true;
                    done.updated.push(account.label.clone());
                }
                Some(slot) if same_binding(&self.slots[slot].account, account) => {
                    self.slots[slot] = fresh_slot(index, account);
                    self.clients.retain(|_, (owner, _)| *owner != slot);
                    kept[slot] = true;
                    done.start.push(index);
                }
                _ => {
                    self.slots.push(fresh_slot(index, account));
                    kept.push(true);
                    done.start.push(index);
                }
            }
        }
        let unkept: Vec<usize> = (0..self.slots.len()).filter(|&slot| !kept[slot]).collect();
        for slot in unkept {
            if self.slots[slot].index != RETIRED {
                done.retired.push(self.slots[slot].account.label.clone());
                self.retire(now, slot);
            }
        }
        self.mwi_reconfigured(now);
        self.pump(now);
        done
    }

    /// Starts unregistering `slot`; it is forgotten once unregistered or after
    /// [`STOP_TIMEOUT`].
    fn retire(&mut self, now: Instant, slot: usize) {
        let slot = &mut self.slots[slot];
        slot.index = RETIRED;
        slot.retire_by = Some(now.checked_add(STOP_TIMEOUT).unwrap_or(now));
        if let Some(started) = slot.started.as_mut() {
            started.keepalive = None;
            started.registration.stop(now, &mut self.rng);
        }
    }

    /// Forgets the retired slots that are unregistered, or whose time is up (`now`), keeping
    /// the slot numbers of the client transactions right.
    pub(super) fn drop_retired(&mut self, now: Instant) {
        let mut slot = 0;
        while slot < self.slots.len() {
            let done = self.slots[slot].retire_by.is_some_and(|by| now >= by || self.slots[slot].is_unregistered());
            if !done {
                slot += 1;
                continue;
            }
            self.slots.remove(slot);
            self.clients.retain(|_, (owner, _)| *owner != slot);
            for (owner, _) in self.clients.values_mut() {
                if *owner > slot {
                    *owner -= 1;
                }
            }
        }
    }

    /// The earliest time a retired slot must be forgotten.
    pub(super) fn retire_timeout(&self) -> Option<Instant> {
        self.slots.iter().filter_map(|slot| slot.retire_by).min()
    }
}

fn fresh_slot(index: usize, account: &Account) -> AccountSlot {
    AccountSlot { index, account: account.clone(), started: None, retire_by: None }
}

/// The same binding: the same address of record at the same registrar (RFC 3261 §10.2).
fn same_binding(old: &Account, new: &Account) -> bool {
    old.user == new.user && old.server == new.server
}

/// Equal in everything the registration and the routes use: only call handling differs.
fn same_registration(old: &Account, new: &Account) -> bool {
    let mut old = old.clone();
    old.auto_answer = new.auto_answer;
    old.voicemail.clone_from(&new.voicemail);
    old.agent_pattern.clone_from(&new.agent_pattern);
    old.mwi_subscribe = new.mwi_subscribe;
    old == *new
}
