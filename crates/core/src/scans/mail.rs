//! Mail by plain SMTP, for the completion of mass scans. Off unless an SMTP server is
//! configured.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::Core;

/// Whether an address is acceptable: one `@`, no spaces or control characters, no `<>`.
pub fn valid_address(a: &str) -> bool {
    let ok_chars = a
        .chars()
        .all(|c| !c.is_whitespace() && !c.is_control() && c != '<' && c != '>' && c != ',');
    match a.split_once('@') {
        Some((user, domain)) => {
            ok_chars && !user.is_empty() && !domain.is_empty() && !domain.contains('@')
        }
        None => false,
    }
}

/// Sends one message to `to` through `server` (`host:port`).
pub async fn send(
    server: &str,
    from: &str,
    to: &[String],
    subject: &str,
    body: &str,
) -> Result<(), String> {
    tokio::time::timeout(
        Duration::from_secs(20),
        session(server, from, to, subject, body),
    )
    .await
    .map_err(|_| "the SMTP server did not answer in time".to_string())?
}

async fn session(
    server: &str,
    from: &str,
    to: &[String],
    subject: &str,
    body: &str,
) -> Result<(), String> {
    let stream = TcpStream::connect(server)
        .await
        .map_err(|e| format!("connecting to {server}: {e}"))?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    expect(&mut read, 220).await?;
    command(&mut write, &mut read, "EHLO keywarden", 250).await?;
    command(&mut write, &mut read, &format!("MAIL FROM:<{from}>"), 250).await?;
    for rcpt in to {
        command(&mut write, &mut read, &format!("RCPT TO:<{rcpt}>"), 250).await?;
    }
    command(&mut write, &mut read, "DATA", 354).await?;
    let date = jiff::Timestamp::now().strftime("%a, %d %b %Y %H:%M:%S +0000");
    let mut data = format!(
        "From: {from}\r\nTo: {}\r\nSubject: {subject}\r\nDate: {date}\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n",
        to.join(", ")
    );
    for line in body.lines() {
        // Dot-stuffing (RFC 5321 4.5.2).
        if line.starts_with('.') {
            data.push('.');
        }
        data.push_str(line);
        data.push_str("\r\n");
    }
    data.push_str(".\r\n");
    write.write_all(data.as_bytes()).await.map_err(io)?;
    expect(&mut read, 250).await?;
    let _ = command(&mut write, &mut read, "QUIT", 221).await;
    Ok(())
}

fn io(e: std::io::Error) -> String {
    format!("SMTP: {e}")
}

async fn command(
    write: &mut tokio::net::tcp::OwnedWriteHalf,
    read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    line: &str,
    code: u16,
) -> Result<(), String> {
    write
        .write_all(format!("{line}\r\n").as_bytes())
        .await
        .map_err(io)?;
    expect(read, code).await
}

/// Reads a (possibly multi-line) reply and checks its code (2xx replies other than the
/// expected one are accepted for RCPT's 251).
async fn expect(
    read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    code: u16,
) -> Result<(), String> {
    loop {
        let mut line = String::new();
        if read.read_line(&mut line).await.map_err(io)? == 0 {
            return Err("SMTP: the server closed the connection".into());
        }
        let got: u16 = line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
        if line.as_bytes().get(3) == Some(&b'-') {
            continue;
        }
        let ok = got == code || (code == 250 && got == 251);
        return if ok {
            Ok(())
        } else {
            Err(format!("SMTP: expected {code}, got: {}", line.trim_end()))
        };
    }
}

/// Sends a mass scan's mail once all its scans finished (at most once, across processes).
pub(crate) async fn mail_when_done(state: &Core, batch_id: i64) {
    let batch = match state.store().claim_finished_batch(batch_id).await {
        Ok(Some(b)) => b,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "checking a mass scan");
            return;
        }
    };
    tracing::info!(batch = batch.id, scope = %batch.scope, scans = batch.total, "mass scan finished");
    let to: Vec<String> = batch
        .emails
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let Some(server) = state.config().smtp_server.clone() else {
        return;
    };
    if to.is_empty() {
        return;
    }
    let subject = format!(
        "Keywarden: the security scan of {} has finished",
        batch.scope
    );
    let body = format!(
        "The security scan of {} has finished: {} branch scans.\n\nSee the status dashboards for the results.\n",
        batch.scope, batch.total
    );
    match send(&server, &state.config().mail_from, &to, &subject, &body).await {
        Ok(()) => tracing::info!(
            batch = batch.id,
            recipients = to.len(),
            "mass scan mail sent"
        ),
        Err(e) => tracing::warn!(batch = batch.id, error = %e, "mass scan mail not sent"),
    }
}
