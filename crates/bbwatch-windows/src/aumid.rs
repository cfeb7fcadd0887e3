//! Whether the app's AppUserModelID is registered (`HKCU\Software\Classes\AppUserModelId\…`,
//! which the installer writes with the app's name and icon). A toast sent under an id Windows
//! does not know is accepted and never shown, so only a registered app sends toasts.

use windows_sys::Win32::System::Registry::{RegGetValueW, HKEY_CURRENT_USER, RRF_RT_REG_SZ};

/// Whether `id` is registered for the current user, with a display name.
pub fn registered(id: &str) -> bool {
    let key: Vec<u16> = format!("Software\\Classes\\AppUserModelId\\{id}")
        .encode_utf16()
        .chain([0])
        .collect();
    let value: Vec<u16> = "DisplayName".encode_utf16().chain([0]).collect();
    // SAFETY: both names are NUL-terminated UTF-16 alive for the call; no buffer is passed
    // (null data and size), so the call only says whether the value exists.
    #[allow(unsafe_code)]
    let status = unsafe {
        RegGetValueW(
            HKEY_CURRENT_USER,
            key.as_ptr(),
            value.as_ptr(),
            RRF_RT_REG_SZ,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    };
    status == 0
}
