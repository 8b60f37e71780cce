//! Drawing the terminal deskphone: the screen (status bar, main area, soft keys), the line keys
//! with their lamps, the feature lamps and the hook, a keypad, and the keyboard map.

use phone::device::{letters, AudioPath, Hook, Lamp, LampKey, LampState};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

use super::keys::{HELP, TEXT_HELP};
use crate::device_edge::FrontView;

/// Which half of their period blinking lamps are in: lit or dark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Blink {
    /// Fast blink (a ringing line) is lit.
    pub fast: bool,
    /// Slow blink (a held line) is lit.
    pub slow: bool,
}

/// The width of the keyboard map on the right.
const HELP_WIDTH: u16 = 48;

/// Draws the phone as `view` shows it; `log_file` is where the log goes.
pub fn draw(frame: &mut Frame, view: Option<&FrontView>, blink: Blink, log_file: &str) {
    let [phone_area, help_area] =
        Layout::horizontal([Constraint::Min(40), Constraint::Length(HELP_WIDTH)]).areas(frame.area());
    let text_entry = view.is_some_and(|v| v.screen.text_entry);
    draw_help(frame, help_area, text_entry, log_file);
    let Some(view) = view else {
        frame.render_widget(Paragraph::new("Starting...").block(Block::bordered().title(" Hardphone ")), phone_area);
        return;
    };
    let lines = view.line_labels.len() as u16;
    let [screen, line_keys, lamps, keypad] = Layout::vertical([
        Constraint::Min(8),
        Constraint::Length(lines + 2),
        Constraint::Length(2),
        Constraint::Length(5),
    ])
    .areas(phone_area);
    draw_screen(frame, screen, view);
    draw_line_keys(frame, line_keys, view, blink);
    draw_lamps(frame, lamps, view, blink);
    draw_keypad(frame, keypad);
}

fn draw_screen(frame: &mut Frame, area: Rect, view: &FrontView) {
    let block = Block::bordered().title(" Hardphone ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [status, rule, main, rule2, soft] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    let text = view.screen.render_text();
    let status_line = text.lines().next().unwrap_or("").to_owned();
    let registered = view.screen.status.registered;
    let colour = if registered { Color::Green } else { Color::Yellow };
    frame
        .render_widget(Paragraph::new(status_line).style(Style::new().fg(colour).add_modifier(Modifier::BOLD)), status);
    let rule_text = "─".repeat(usize::from(inner.width));
    frame.render_widget(Paragraph::new(rule_text.clone()).style(Style::new().fg(Color::DarkGray)), rule);
    frame.render_widget(Paragraph::new(rule_text).style(Style::new().fg(Color::DarkGray)), rule2);
    let main_lines: Vec<Line> = view.screen.main.iter().map(|l| Line::from(l.as_str())).collect();
    frame.render_widget(Paragraph::new(main_lines), main);
    let columns = Layout::horizontal([Constraint::Ratio(1, 4); 4]).split(soft);
    for (n, label) in view.screen.soft_keys.iter().enumerate() {
        let shown = if label.is_empty() {
            Line::from(Span::styled(format!("F{}", n + 1), Style::new().fg(Color::DarkGray)))
        } else {
            Line::from(vec![
                Span::styled(format!("F{} ", n + 1), Style::new().fg(Color::DarkGray)),
                Span::styled(format!("[{label}]"), Style::new().add_modifier(Modifier::BOLD)),
            ])
        };
        frame.render_widget(Paragraph::new(shown), columns[n]);
    }
}

/// A lamp's symbol and colour now.
fn lamp_span(state: LampState, colour: Color, blink: Blink) -> Span<'static> {
    let lit = match state {
        LampState::Off => false,
        LampState::On => true,
        LampState::FastBlink => blink.fast,
        LampState::SlowBlink => blink.slow,
    };
    if lit {
        Span::styled("●", Style::new().fg(colour).add_modifier(Modifier::BOLD))
    } else {
        Span::styled("○", Style::new().fg(Color::DarkGray))
    }
}

fn lamp_state(lamps: &[Lamp], key: LampKey) -> LampState {
    lamps.iter().find(|l| l.key == key).map_or(LampState::Off, |l| l.state)
}

fn draw_line_keys(frame: &mut Frame, area: Rect, view: &FrontView, blink: Blink) {
    let rows: Vec<Line> = view
        .line_labels
        .iter()
        .enumerate()
        .map(|(n, label)| {
            let state = lamp_state(&view.lamps, LampKey::Line(n));
            let colour = match state {
                LampState::FastBlink => Color::Red,
                LampState::SlowBlink => Color::Yellow,
                _ => Color::Green,
            };
            let key = if n < 4 { format!("F{}", n + 5) } else { format!("Alt-{}", n + 1) };
            Line::from(vec![
                Span::styled(format!("{key:>5} "), Style::new().fg(Color::DarkGray)),
                lamp_span(state, colour, blink),
                Span::raw(format!(" L{} {label}", n + 1)),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(rows).block(Block::bordered().title(" Line keys ")), area);
}

fn draw_lamps(frame: &mut Frame, area: Rect, view: &FrontView, blink: Blink) {
    let mut spans = Vec::new();
    for (name, key, colour) in [
        ("MSG", LampKey::Messages, Color::Red),
        ("DND", LampKey::Dnd, Color::Red),
        ("MUTE", LampKey::Mute, Color::Red),
        ("SPK", LampKey::Speaker, Color::Green),
        ("HS", LampKey::Headset, Color::Green),
    ] {
        spans.push(Span::raw(format!(" {name} ")));
        spans.push(lamp_span(lamp_state(&view.lamps, key), colour, blink));
    }
    let hook = match view.hook {
        Hook::OffHook => "off hook",
        Hook::OnHook => "on hook",
    };
    let path = match view.path {
        AudioPath::Off => "",
        AudioPath::Handset => ", audio: handset",
        AudioPath::Speaker => ", audio: speaker",
        AudioPath::Headset => ", audio: headset",
    };
    spans.push(Span::raw(format!("   Handset {hook}{path}")));
    let mut rows = vec![Line::from(spans)];
    if let Some(note) = &view.note {
        rows.push(Line::from(Span::styled(format!(" {note}"), Style::new().fg(Color::Yellow))));
    }
    frame.render_widget(Paragraph::new(rows), area);
}

fn draw_keypad(frame: &mut Frame, area: Rect) {
    let key = |k: char| {
        let extra: String = letters(k).chars().filter(|c| *c != k).collect();
        let extra = if k == '0' { "␣".to_owned() } else { extra };
        format!("[{k} {extra:<6}]")
    };
    let rows: Vec<Line> = ["123", "456", "789"]
        .iter()
        .map(|row| Line::from(row.chars().map(key).collect::<Vec<_>>().join(" ")))
        .chain(std::iter::once(Line::from(format!("{:<10} {} {:<10}", "[*]", key('0'), "[#]"))))
        .collect();
    frame.render_widget(Paragraph::new(rows).style(Style::new().fg(Color::Gray)), area);
}

fn draw_help(frame: &mut Frame, area: Rect, text_entry: bool, log_file: &str) {
    let table = if text_entry { TEXT_HELP } else { HELP };
    let mut rows: Vec<Line> = table
        .iter()
        .map(|(keys, what)| {
            Line::from(vec![Span::styled(format!("{keys:<16}"), Style::new().fg(Color::Cyan)), Span::raw(*what)])
        })
        .collect();
    rows.push(Line::from(""));
    rows.push(Line::from(Span::styled(format!("Log: {log_file}"), Style::new().fg(Color::DarkGray))));
    let title = if text_entry { " Keyboard (typing) " } else { " Keyboard " };
    frame.render_widget(Paragraph::new(rows).wrap(Wrap { trim: false }).block(Block::bordered().title(title)), area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use phone::device::{Screen, StatusBar};
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    fn view() -> FrontView {
        let screen = Screen {
            status: StatusBar {
                account: "Agent 1001".into(),
                registered: true,
                time: "10:42".into(),
                ..StatusBar::default()
            },
            main: vec!["Incoming: Bob <2002>".into(), "to Agent 1001".into()],
            soft_keys: ["Answer".into(), "Reject".into(), String::new(), String::new()],
            text_entry: false,
        };
        let lamps = vec![
            Lamp { key: LampKey::Line(0), state: LampState::FastBlink },
            Lamp { key: LampKey::Line(1), state: LampState::SlowBlink },
            Lamp { key: LampKey::Messages, state: LampState::On },
            Lamp { key: LampKey::Dnd, state: LampState::Off },
        ];
        FrontView {
            screen,
            lamps,
            line_labels: vec!["Agent 1001".into(), "Agent 1001".into()],
            hook: Hook::OnHook,
            path: AudioPath::Off,
            note: None,
        }
    }

    #[test]
    fn the_phone_draws_its_screen_lamps_keypad_and_keyboard_map() {
        let mut terminal = Terminal::new(TestBackend::new(110, 28)).unwrap();
        let view = view();
        terminal
            .draw(|frame| draw(frame, Some(&view), Blink { fast: true, slow: false }, "/state/hardphone.log"))
            .unwrap();
        insta::assert_snapshot!(terminal.backend());
    }
}
