//! Risks that come from where a file lives: cloud-synced folders, chat-app folders, trash.

use std::path::Path;

use crate::scan::finding::{Evidence, Risk};

/// Adds the risks that the folders of the absolute path `path` imply.
pub fn risks(path: &Path, ev: &mut Evidence) {
    let comps: Vec<String> = path
        .parent()
        .into_iter()
        .flat_map(|p| p.components())
        .map(|c| c.as_os_str().to_string_lossy().to_lowercase())
        .collect();
    let has = |pred: &dyn Fn(&str) -> bool| comps.iter().any(|c| pred(c));
    if has(&|c| {
        c == "dropbox"
            || c.starts_with("dropbox (")
            || c.starts_with("onedrive")
            || matches!(
                c,
                "google drive"
                    | "googledrive"
                    | "my drive"
                    | "icloud drive"
                    | "iclouddrive"
                    | "mobile documents"
                    | "com~apple~clouddocs"
                    | "nextcloud"
                    | "owncloud"
                    | "pcloud drive"
                    | "megasync"
                    | "百度网盘"
            )
    }) {
        ev.risk(Risk::CloudSync);
    }
    if has(&|c| {
        c.starts_with("whatsapp")
            || c.starts_with("telegram")
            || c.starts_with("wechat")
            || matches!(
                c,
                "micromsg" | "xwechat_files" | "weixin" | "微信" | "signal" | "line" | "viber"
            )
    }) {
        ev.risk(Risk::ChatApp);
    }
    if has(&|c| {
        c == ".trash"
            || c.starts_with(".trash-")
            || matches!(c, ".trashes" | "$recycle.bin" | "回收站")
            || c == "trash"
    }) {
        ev.risk(Risk::Trash);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(p: &str) -> Vec<Risk> {
        let mut ev = Evidence::default();
        risks(Path::new(p), &mut ev);
        ev.risks
    }

    #[test]
    fn places() {
        assert_eq!(of("/home/a/Dropbox/id.jpg"), vec![Risk::CloudSync]);
        assert_eq!(of("/home/a/OneDrive - Corp/x.jpg"), vec![Risk::CloudSync]);
        assert_eq!(
            of("/sdcard/Android/media/com.whatsapp/WhatsApp/Media/WhatsApp Images/IMG-1.jpg"),
            vec![Risk::ChatApp]
        );
        assert_eq!(
            of("/home/a/.local/share/Trash/files/p.jpg"),
            vec![Risk::Trash]
        );
        assert_eq!(of("/home/a/Pictures/p.jpg"), vec![]);
        // The file's own name is not a folder.
        assert_eq!(of("/home/a/dropbox"), vec![]);
    }
}
