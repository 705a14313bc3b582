//! Risks that come from where a file lives: cloud-synced folders, chat-app folders, trash.

use std::path::Path;

use serde::Serialize;

/// Something besides the file's content that makes it riskier to keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    /// GPS coordinates in the metadata.
    Gps,
    /// Inside a folder that a cloud service synchronises.
    CloudSync,
    /// Inside a chat application's media folder.
    ChatApp,
    /// Inside a trash folder: "deleted", but still on disk.
    Trash,
}

impl Risk {
    /// A sentence explaining the risk.
    pub fn explain(self) -> &'static str {
        match self {
            Risk::Gps => "GPS coordinates in the metadata reveal where it was taken",
            Risk::CloudSync => {
                "inside a cloud-synced folder: the provider keeps copies and history"
            }
            Risk::ChatApp => {
                "inside a chat app's folder: it was sent or received, copies exist elsewhere"
            }
            Risk::Trash => "inside a trash folder: deleted, but still on disk",
        }
    }
}

/// The risks that the folders of the absolute path `path` imply.
pub fn risks(path: &Path) -> Vec<Risk> {
    let mut found = Vec::new();
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
        found.push(Risk::CloudSync);
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
        found.push(Risk::ChatApp);
    }
    if has(&|c| {
        c == ".trash"
            || c.starts_with(".trash-")
            || matches!(c, ".trashes" | "$recycle.bin" | "回收站")
            || c == "trash"
    }) {
        found.push(Risk::Trash);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(p: &str) -> Vec<Risk> {
        risks(Path::new(p))
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
