//! Generated file contents.

/// `count` lines `service_<i>_password = "<24 random characters>" # api_key`, each a
/// candidate for the generic rules: a file that is slow to scan.
pub fn password_lines(count: usize) -> String {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut text = String::with_capacity(count * 64);
    for i in 0..count {
        let word: String = (0..24)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"[(seed % 57) as usize]
                    as char
            })
            .collect();
        text.push_str(&format!("service_{i}_password = \"{word}\" # api_key\n"));
    }
    text
}
