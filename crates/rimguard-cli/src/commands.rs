//! `rimguard secret`, `rimguard audit` and `rimguard phone`.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use rimguard::phone::{PhoneNumber, Region, whatsapp};
use rimguard::secrets::secret::{ExposeSecret, SecretString};
use rimguard::secrets::source::KeyringStore;

/// `rimguard secret set SERVICE/USER`: stores a value read from standard
/// input (never from the command line, where shell history would keep it).
///
/// # Errors
///
/// A malformed entry name, an empty value, or the store's refusal.
pub fn secret_set(entry: &str) -> Result<ExitCode, String> {
    let (service, user) = split_entry(entry)?;
    let store = KeyringStore::native().map_err(|e| e.to_string())?;
    eprintln!("value for {service}/{user} (one line on standard input):");

    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    let value = SecretString::from(line.trim_end_matches(['\r', '\n']).to_owned());
    line.clear();
    if value.expose_secret().is_empty() {
        return Err("the value is empty; nothing stored".into());
    }
    store
        .set(service, user, &value)
        .map_err(|e| e.to_string())?;
    println!(
        "stored keyring:{service}/{user} in the {} store",
        store.name()
    );
    Ok(ExitCode::SUCCESS)
}

/// `rimguard secret get SERVICE/USER [--show]`: says whether the entry is
/// there and how long it is; prints the value only with `--show`.
///
/// # Errors
///
/// A malformed entry name, or the store's refusal.
pub fn secret_get(entry: &str, show: bool) -> Result<ExitCode, String> {
    let (service, user) = split_entry(entry)?;
    let store = KeyringStore::native().map_err(|e| e.to_string())?;
    match store.get(service, user) {
        Ok(value) if show => println!("{}", value.expose_secret()),
        Ok(value) => {
            let chars = value.expose_secret().chars().count();
            println!("keyring:{service}/{user}: present, {chars} characters (--show prints it)");
        }
        Err(error) => {
            println!("keyring:{service}/{user}: {error}");
            return Ok(ExitCode::FAILURE);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `rimguard secret delete SERVICE/USER`.
///
/// # Errors
///
/// A malformed entry name, or the store's refusal.
pub fn secret_delete(entry: &str) -> Result<ExitCode, String> {
    let (service, user) = split_entry(entry)?;
    let store = KeyringStore::native().map_err(|e| e.to_string())?;
    store.delete(service, user).map_err(|e| e.to_string())?;
    println!("deleted keyring:{service}/{user}");
    Ok(ExitCode::SUCCESS)
}

/// `rimguard secret check --config FILE`: loads every secret the file
/// names (API keys, webhook secrets, `[secrets]`), from the sources it
/// names, and says which failed; never a value.
///
/// # Errors
///
/// The file is refused, or a secret cannot be loaded.
pub fn secret_check(config: &std::path::Path) -> Result<ExitCode, String> {
    let loaded = rimguard::Config::loader()
        .file(config)
        .load()
        .map_err(|e| e.to_string())?;
    rimguard::Stack::from_config(&loaded).map_err(|e| e.to_string())?;
    let count = loaded.secrets.len() + loaded.api_keys.len() + loaded.webhooks.len();
    println!(
        "{}: every secret loaded ({count} sections)",
        config.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn split_entry(entry: &str) -> Result<(&str, &str), String> {
    let entry = entry.strip_prefix("keyring:").unwrap_or(entry);
    match entry.split_once('/') {
        Some((service, user)) if !service.is_empty() && !user.is_empty() => Ok((service, user)),
        _ => Err(format!(
            "expected SERVICE/USER, such as rimguard/bot_key, not `{entry}`"
        )),
    }
}

/// `rimguard audit verify FILE…`: checks the hash chain across the files
/// (oldest first) and names the first record changed, removed or moved.
///
/// # Errors
///
/// A file cannot be read.
pub fn audit_verify(files: &[PathBuf]) -> Result<ExitCode, String> {
    let report = rimguard::audit::verify_files(files).map_err(|e| e.to_string())?;
    println!("{report}");
    Ok(if report.is_intact() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `rimguard phone normalize [--region CC] [--whatsapp] NUMBER…`: parses
/// each number as the phone layer would and prints its forms.
///
/// # Errors
///
/// An unknown region code.
pub fn phone_normalize(
    numbers: &[String],
    region: Option<&str>,
    wa: bool,
) -> Result<ExitCode, String> {
    let region = match region {
        Some(code) => Some(Region::new(code).ok_or_else(|| format!("unknown region `{code}`"))?),
        None => None,
    };
    let mut all_valid = true;
    for input in numbers {
        if wa {
            let candidates = whatsapp::candidates(input);
            let list: Vec<&str> = candidates.iter().map(|c| c.as_str()).collect();
            println!("{input}: wa_id candidates {}", list.join(", "));
            all_valid &= !candidates.is_empty();
            continue;
        }
        match PhoneNumber::parse_strict(input, region) {
            Ok(number) => {
                let e164 = number.e164();
                println!(
                    "{input}: {} valid={} possible={} type={} region={} international=\"{}\" national=\"{}\"",
                    e164.as_str(),
                    number.is_valid(),
                    number.is_possible(),
                    number.number_type().libphonenumber_name(),
                    number.region_code().unwrap_or("-"),
                    number.format_international(),
                    number.format_national(),
                );
                all_valid &= number.is_valid();
            }
            Err(error) => {
                println!("{input}: refused: {error}");
                all_valid = false;
            }
        }
    }
    Ok(if all_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
