//! Failover between an account's routes (RFC 3263 §4.3): the primary server's targets, then the
//! backup registrar's; failback to the primary; and a new local address (RFC 5626 §4.5).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sip::keepalive::KeepAlive;
use sip::locate::DEFAULT_FAILBACK_INTERVAL;
use sip::registration::RegistrationState;

use super::account::{self, Located};
use super::{Core, CoreError};

/// How long an account registered away from its first route waits before trying the first
/// again, by default (`sip.failback_secs`; RFC 3263 §4.3 leaves it open; 300 s, like most
/// deskphones). The binding held elsewhere stays until the primary answers, so a failback that
/// fails costs no downtime.
pub const FAILBACK_INTERVAL: Duration = DEFAULT_FAILBACK_INTERVAL;

impl Core {
    /// Account `index`'s routes in failover order and the one in use, once started.
    pub fn routes(&self, index: usize) -> Option<(Vec<Located>, usize)> {
        let slot = self.slots.iter().find(|slot| slot.index == index)?;
        let started = slot.started.as_ref()?;
        Some((started.routes.iter().map(|(_, located)| located.clone()).collect(), started.current))
    }

    /// The local address towards route `route` of account `index` is now `local` (a new DHCP
    /// lease, another interface): when that route is in use the account registers again at once
    /// from the new address, removing the old Contact (RFC 5626 §4.5, RFC 3261 §10.2.2), on a
    /// new flow with a fresh keep-alive.
    pub fn handle_local_address(
        &mut self,
        now: Instant,
        index: usize,
        route: usize,
        local: SocketAddr,
    ) -> Result<(), CoreError> {
        let bound = account::keepalive_bound(&self.settings);
        let slot = self.slots.iter().position(|slot| slot.index == index).ok_or(CoreError::UnknownAccount(index))?;
        let Some(started) = self.slots[slot].started.as_mut() else { return Err(CoreError::UnknownAccount(index)) };
        let Some((_, located)) = started.routes.get_mut(route) else { return Err(CoreError::NoRoute) };
        if located.local == local {
            return Ok(());
        }
        located.local = local;
        if route == started.current {
            started.flow = None;
            started.registration.network_changed(now, local, &mut self.rng);
            if started.keepalive.is_some() {
                started.keepalive = Some(KeepAlive::new(now, started.target.transport, bound, &mut self.rng));
            }
        }
        self.pump(now);
        Ok(())
    }

    /// Account `slot`'s registration reported `state`: fail over on a failure that asks for it,
    /// and plan the failback once registered away from the first route.
    pub(super) fn route_state_changed(&mut self, now: Instant, slot: usize, state: &RegistrationState) {
        let Some(started) = self.slots[slot].started.as_mut() else { return };
        match state {
            RegistrationState::Registered { .. } => {
                started.failed_in_cycle = 0;
                if started.current != 0 && started.failback_at.is_none() {
                    started.failback_at = now.checked_add(Duration::from_secs(self.settings.failback_secs.into()));
                }
            }
            RegistrationState::Retrying { failover: true, at, .. } if started.routes.len() > 1 => {
                started.failed_in_cycle += 1;
                let next = (started.current + 1) % started.routes.len();
                // A route not yet tried in this cycle is tried at once (RFC 3263 §4.3); once all
                // failed, the registration's backoff paces the next round.
                let when = if started.failed_in_cycle < started.routes.len() {
                    now
                } else {
                    started.failed_in_cycle = 0;
                    *at
                };
                self.switch_route(now, slot, next, when);
            }
            _ => {}
        }
    }

    /// Tries the first route again when account `slot`'s failback time has come.
    pub(super) fn failback_timeout(&mut self, now: Instant, slot: usize) {
        let Some(started) = self.slots[slot].started.as_mut() else { return };
        if started.failback_at.is_some_and(|at| at <= now) {
            started.failback_at = None;
            started.failed_in_cycle = 0;
            if started.current != 0 {
                self.switch_route(now, slot, 0, now);
            }
        }
    }

    /// Moves account `slot` to route `next`; its next REGISTER goes at `when`.
    fn switch_route(&mut self, now: Instant, slot: usize, next: usize, when: Instant) {
        let bound = account::keepalive_bound(&self.settings);
        let slot = &mut self.slots[slot];
        let Some(started) = slot.started.as_mut() else { return };
        let Some((role, located)) = started.routes.get(next).cloned() else { return };
        let Ok(config) = account::registration_config(&slot.account, &self.settings, &self.instance, role, &located)
        else {
            return;
        };
        if started.registration.retarget(now, config, when, &mut self.rng).is_err() {
            return;
        }
        started.current = next;
        started.target = located.target;
        started.flow = None;
        if next == 0 {
            started.failback_at = None;
        }
        if started.keepalive.is_some() {
            started.keepalive = Some(KeepAlive::new(now, started.target.transport, bound, &mut self.rng));
        }
    }
}
