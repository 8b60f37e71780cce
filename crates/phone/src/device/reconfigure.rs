//! A new configuration while the phone runs (settings saved, provisioning), calls kept.

use std::time::Instant;

use super::*;

impl Device {
    /// Takes a new configuration (settings saved, provisioning) at `now`, keeping the calls:
    /// lines are added, or idle ones at the end removed; do-not-disturb, call waiting,
    /// forwarding and the volumes follow the new configuration where it changed them (a
    /// change made with the keys stays otherwise).
    pub fn reconfigure(&mut self, now: Instant, mut config: DeviceConfig) {
        self.advance(now);
        if config.lines.is_empty() {
            config.lines.push(0);
        }
        if !(400..=699).contains(&config.reject_status) {
            config.reject_status = 486;
        }
        let old = std::mem::replace(&mut self.config, config);
        let want = self.config.lines.len();
        while self.lines.len() < want {
            self.lines.push(None);
        }
        while self.lines.len() > want && self.lines.last().is_some_and(Option::is_none) {
            self.lines.pop();
        }
        if self.focus.is_some_and(|f| f >= self.lines.len()) {
            self.focus = None;
        }
        if self.config.dnd != old.dnd {
            self.dnd = self.config.dnd;
        }
        if self.config.call_waiting != old.call_waiting {
            self.call_waiting = self.config.call_waiting;
        }
        if self.config.forwarding != old.forwarding {
            self.forwarding = self.config.forwarding.clone();
        }
        for of in [VolumeOf::Ringer, VolumeOf::Handset, VolumeOf::Speaker, VolumeOf::Headset] {
            let level = self.config.volumes[of as usize].min(MAX_VOLUME);
            if level != old.volumes[of as usize] && level != self.volumes[of as usize] {
                self.volumes[of as usize] = level;
                self.out.push_back(DeviceOutput::Volume { of, level });
            }
        }
        self.history.set_capacity(self.config.history_size);
        self.sync();
    }
}
