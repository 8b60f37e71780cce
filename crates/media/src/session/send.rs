//! The send path: device PCM in, RTP packets out (RFC 3550 §5.1, RFC 3551 §4.1, RFC 4733 §2.5.1).

use std::time::{Duration, Instant};

use super::config::{AgreedCodec, SessionConfig, SessionError};
use super::resample::Resampler;
use crate::codec::opus::OpusParams;
use crate::codec::Encoder;
use crate::dtmf::{DtmfSender, Event, SenderConfig};
use crate::rtp::RtpHeader;

/// One packet of ours, ready for the wire.
pub(super) struct Outgoing {
    pub bytes: Vec<u8>,
}

/// Our RTP stream.
pub(super) struct SendPath {
    pub ssrc: u32,
    seq: u16,
    /// The timestamp of the next frame.
    next_ts: u32,
    codec: AgreedCodec,
    encoder: Box<dyn Encoder + Send>,
    resampler: Resampler,
    device_rate: u32,
    /// How Opus is coded, for when we switch to it.
    opus: OpusParams,
    ptime: Duration,
    frame_len: usize,
    ts_step: u32,
    marker_next: bool,
    dtmf: Option<(DtmfSender, u8)>,
    pub packets: u64,
    pub octets: u64,
    pub dtmf_packets: u64,
    pub sent_since_report: bool,
    /// When the last frame went out and its timestamp, for the SR's RTP timestamp.
    last_sent: Option<(Instant, u32)>,
    pcm: Vec<i16>,
    payload: Vec<u8>,
}

/// `duration` in units of `rate` Hz.
pub(super) fn units(duration: Duration, rate: u32) -> u64 {
    u64::try_from(duration.as_nanos() * u128::from(rate) / 1_000_000_000).unwrap_or(u64::MAX)
}

/// A DTMF sender on the audio's RTP `clock`, reporting once per `ptime`.
fn dtmf_sender(clock: u32, ptime: Duration) -> Result<DtmfSender, SessionError> {
    let ms = u32::try_from(ptime.as_millis()).unwrap_or(20);
    Ok(DtmfSender::new(SenderConfig::new(clock, ms))?)
}

impl SendPath {
    /// Our stream with the first codec of `config`, starting at the random `seq` and `ts`
    /// (RFC 3550 §5.1).
    pub fn new(ssrc: u32, seq: u16, ts: u32, config: &SessionConfig) -> Result<Self, SessionError> {
        let (codec, device_rate, ptime, opus) = (config.codecs[0], config.device_rate, config.ptime, config.opus);
        let resampler = Resampler::new(device_rate, codec.kind.encode_rate(device_rate, &opus))
            .map_err(|source| SessionError::UnsupportedDeviceRate { rate: device_rate, source })?;
        // Timestamps advance at the RTP clock: 160 per 20 ms at 8000 Hz (G.722 too), 960 at
        // Opus's 48000 Hz. Events share it (RFC 4733 §2.5.1.2).
        let clock = codec.kind.rtp_clock_rate();
        let dtmf = match config.telephone_event {
            Some(te) => Some((dtmf_sender(clock, ptime)?, te.send_pt)),
            None => None,
        };
        Ok(Self {
            ssrc,
            seq,
            next_ts: ts,
            codec,
            encoder: codec.kind.session_encoder(device_rate, &opus),
            resampler,
            device_rate,
            opus,
            ptime,
            frame_len: usize::try_from(units(ptime, device_rate)).unwrap_or(0),
            ts_step: u32::try_from(units(ptime, clock)).unwrap_or(0),
            marker_next: true,
            dtmf,
            packets: 0,
            octets: 0,
            dtmf_packets: 0,
            sent_since_report: false,
            last_sent: None,
            pcm: Vec::new(),
            payload: Vec::new(),
        })
    }

    /// Samples of one ptime at the device rate.
    pub fn frame_len(&self) -> usize {
        self.frame_len
    }

    /// The codec we send.
    pub fn codec(&self) -> AgreedCodec {
        self.codec
    }

    /// Switches to another agreed codec; the next packet starts a talkspurt.
    pub fn set_codec(&mut self, codec: AgreedCodec) -> Result<(), SessionError> {
        if codec == self.codec {
            return Ok(());
        }
        let rate = codec.kind.encode_rate(self.device_rate, &self.opus);
        let resampler = Resampler::new(self.device_rate, rate)
            .map_err(|source| SessionError::UnsupportedDeviceRate { rate: self.device_rate, source })?;
        let clock = codec.kind.rtp_clock_rate();
        if clock != self.codec.kind.rtp_clock_rate() {
            // Events run on the audio's clock (RFC 4733 §2.5.1.2): a switch between 8000 Hz
            // codecs and Opus's 48000 Hz restarts the sender, dropping digits still queued.
            if let Some((_, pt)) = self.dtmf {
                self.dtmf = Some((dtmf_sender(clock, self.ptime)?, pt));
            }
        }
        self.resampler = resampler;
        self.encoder = codec.kind.session_encoder(self.device_rate, &self.opus);
        self.ts_step = u32::try_from(units(self.ptime, codec.kind.rtp_clock_rate())).unwrap_or(0);
        self.codec = codec;
        self.marker_next = true;
        Ok(())
    }

    /// The resampler's and codec's delay on our side, in ms.
    pub fn delay_ms(&self) -> f64 {
        let resampler = self.resampler.delay() * 1000.0 / f64::from(self.resampler.output_rate());
        resampler + self.codec.kind.lookahead_ms()
    }

    /// The timestamp at `now`, extrapolated from the last frame (RFC 3550 §6.4.1 SR).
    pub fn rtp_timestamp_at(&self, now: Instant) -> u32 {
        match self.last_sent {
            Some((at, ts)) => {
                let elapsed = units(now.saturating_duration_since(at), self.codec.kind.rtp_clock_rate());
                ts.wrapping_add(elapsed as u32)
            }
            None => self.next_ts,
        }
    }

    /// Queues a dial string: its first event starts with the next frame.
    pub fn queue_digits(&mut self, digits: &str) -> Result<usize, SessionError> {
        let at = self.next_ts;
        let (sender, _) = self.dtmf.as_mut().ok_or(SessionError::NoTelephoneEvent)?;
        Ok(sender.send_digits(digits, at)?)
    }

    /// A key went down (`Some`) or up (`None`) at the next frame.
    pub fn key(&mut self, event: Option<Event>) -> Result<(), SessionError> {
        let at = self.next_ts;
        let (sender, _) = self.dtmf.as_mut().ok_or(SessionError::NoTelephoneEvent)?;
        match event {
            Some(event) => sender.start(event, at)?,
            None => sender.stop(at),
        }
        Ok(())
    }

    /// Sends one frame of device PCM at `now`: the audio packet, or the event packets that
    /// replace it while DTMF is being sent (RFC 4733 §2.5.1.2).
    pub fn send_frame(&mut self, now: Instant, pcm: &[i16], out: &mut Vec<Outgoing>) -> Result<(), SessionError> {
        if pcm.len() != self.frame_len {
            return Err(SessionError::FrameSize { expected: self.frame_len, got: pcm.len() });
        }
        let ts = self.next_ts;
        self.next_ts = ts.wrapping_add(self.ts_step);
        self.last_sent = Some((now, ts));
        // Encode even when events replace the audio, so the codec's state stays continuous.
        self.pcm.clear();
        self.resampler.process(pcm, &mut self.pcm);
        self.payload.clear();
        self.encoder.encode(&self.pcm, &mut self.payload);
        if self.send_events(ts, out) {
            // Audio after an event starts a new talkspurt (RFC 3551 §4.1).
            self.marker_next = true;
            return Ok(());
        }
        let header = RtpHeader {
            marker: std::mem::take(&mut self.marker_next),
            payload_type: self.codec.send_pt,
            sequence_number: self.next_seq(),
            timestamp: ts,
            ssrc: self.ssrc,
        };
        let mut bytes = Vec::with_capacity(crate::rtp::HEADER_LEN + self.payload.len());
        header.write(&self.payload, &mut bytes);
        self.count(self.payload.len());
        out.push(Outgoing { bytes });
        Ok(())
    }

    /// Sends the event packets due at timestamp `ts`; `true` when events own this frame.
    fn send_events(&mut self, ts: u32, out: &mut Vec<Outgoing>) -> bool {
        let Some((sender, pt)) = self.dtmf.as_mut() else {
            return false;
        };
        let pt = *pt;
        let mut packets = Vec::new();
        while let Some(packet) = sender.poll(ts) {
            packets.push(packet);
        }
        let busy = !packets.is_empty() || !sender.is_idle();
        for packet in packets {
            let header = RtpHeader {
                marker: packet.marker,
                payload_type: pt,
                sequence_number: self.next_seq(),
                timestamp: packet.timestamp,
                ssrc: self.ssrc,
            };
            let payload = packet.payload_bytes();
            let mut bytes = Vec::with_capacity(crate::rtp::HEADER_LEN + payload.len());
            header.write(&payload, &mut bytes);
            self.count(payload.len());
            self.dtmf_packets += 1;
            out.push(Outgoing { bytes });
        }
        busy
    }

    fn next_seq(&mut self) -> u16 {
        let seq = self.seq;
        self.seq = seq.wrapping_add(1);
        seq
    }

    fn count(&mut self, payload_len: usize) {
        self.packets += 1;
        self.octets += payload_len as u64;
        self.sent_since_report = true;
    }
}
