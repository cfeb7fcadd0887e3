//! The one ja/en message catalogue every front end (CLI, tray, notifications, windows) uses.
//!
//! Each message is declared once with both texts side by side, so a message cannot exist in
//! one language only. Placeholders are `{name}` and must match between the two texts (tested).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A user-facing language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// 日本語
    Ja,
    /// English
    En,
}

impl Lang {
    /// The language of the user's locale (`LC_ALL`, `LC_MESSAGES`, `LANG`): Japanese for
    /// `ja*`, English otherwise.
    pub fn from_env() -> Lang {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let locale = var("LC_ALL")
            .or_else(|| var("LC_MESSAGES"))
            .or_else(|| var("LANG"))
            .unwrap_or_default();
        Lang::from_locale(&locale)
    }

    /// Japanese for a `ja`/`ja_JP.UTF-8` locale string, English otherwise.
    pub fn from_locale(locale: &str) -> Lang {
        if locale.to_ascii_lowercase().starts_with("ja") {
            Lang::Ja
        } else {
            Lang::En
        }
    }

    /// `"ja"` or `"en"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for a language that is neither `ja` nor `en`.
#[derive(Debug, thiserror::Error)]
#[error("unknown language {0:?}: expected ja or en")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ja" => Ok(Lang::Ja),
            "en" => Ok(Lang::En),
            _ => Err(UnknownLang(s.to_owned())),
        }
    }
}

macro_rules! catalogue {
    ($(#[$edoc:meta])* enum $enum:ident; $( $(#[$doc:meta])* $name:ident => ($ja:expr, $en:expr), )*) => {
        $(#[$edoc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $enum { $( $(#[$doc])* $name, )* }

        impl $enum {
            /// Every message, for tests and tooling.
            pub const ALL: &'static [$enum] = &[ $( $enum::$name, )* ];

            /// The message's stable key, e.g. `"LevelNormal"` (the web UI looks texts up by it).
            pub fn key(self) -> &'static str {
                match self { $( $enum::$name => stringify!($name), )* }
            }

            /// The message in `lang`, placeholders unfilled.
            pub fn text(self, lang: Lang) -> &'static str {
                let (ja, en) = match self { $( $enum::$name => ($ja, $en), )* };
                match lang { Lang::Ja => ja, Lang::En => en }
            }

            /// The message in `lang` with each `{key}` replaced by its value.
            pub fn fill(self, lang: Lang, args: &[(&str, &str)]) -> String {
                let mut out = self.text(lang).to_owned();
                for (key, value) in args {
                    out = out.replace(&format!("{{{key}}}"), value);
                }
                out
            }
        }
    };
}

catalogue! {
    /// A user-facing message. Get its text with [`Msg::text`].
    enum Msg;
    /// Level name.
    LevelUnknown => ("確認中", "Checking"),
    /// Level name.
    LevelNormal => ("正常", "Normal"),
    /// Level name.
    LevelDegraded => ("一部制限", "Degraded"),
    /// Level name.
    LevelUnreachable => ("接続不可", "Unreachable"),
    /// Level name.
    LevelDown => ("障害", "Down"),
    /// Level name.
    LevelMaintenance => ("メンテナンス中", "Maintenance"),

    /// What the level means for the user.
    MeaningUnknown => ("bitbankの状態を確認しています", "checking bitbank's status"),
    /// What the level means for the user.
    MeaningNormal => ("取引・APIともに通常どおりです", "trading and the API work normally"),
    /// What the level means for the user.
    MeaningDegraded => ("一部の銘柄や注文に制限があります", "some pairs or orders are restricted"),
    /// What `degraded` means when only deposits or withdrawals are stopped.
    MeaningDegradedAssets => ("一部の通貨の入金・出金が停止しています", "deposits or withdrawals of a watched asset are stopped"),
    /// What the level means for the user.
    MeaningUnreachable => ("bitbankのどちらのサーバーにも届きません。お使いのネットワークを確認してください", "neither bitbank host answers: check your own network"),
    /// What the level means for the user.
    MeaningDown => ("bitbankのAPIが応答しません。注文が通らない可能性があります。ボットは停止してください", "bitbank's API is not answering: orders may fail, bots should pause"),
    /// What the level means for the user.
    MeaningMaintenance => ("取引・入出金・APIが停止しています。ボットは停止してください", "trading, deposits, withdrawals and the API are stopped: bots should pause"),

    /// Event title.
    MonitorStarted => ("監視開始（現在: {level}）", "Monitoring started (now: {level})"),
    /// Event title.
    MaintenanceStarted => ("メンテナンス開始", "Maintenance started"),
    /// Event title.
    MaintenanceEnded => ("メンテナンス終了", "Maintenance ended"),
    /// Event title.
    DownStarted => ("API障害発生", "API down"),
    /// Event title.
    DownEnded => ("API障害から復旧", "API back up"),
    /// Event title.
    UnreachableStarted => ("接続できません", "Unreachable"),
    /// Event title.
    UnreachableEnded => ("接続が回復しました", "Reachable again"),
    /// Event title.
    DegradedStarted => ("一部の取引に制限", "Trading restricted"),
    /// Event title: `degraded` because deposits or withdrawals stopped.
    DegradedStartedAssets => ("入出金に制限", "Transfers restricted"),
    /// Event title.
    DegradedEnded => ("制限解除", "Restrictions lifted"),
    /// Event title: the end of a `degraded` that was only deposits or withdrawals.
    DegradedEndedAssets => ("入出金の制限解除", "Transfers restored"),
    /// Event title.
    PairChanged => ("{pair}: {state}", "{pair}: {state}"),
    /// Event title: an asset's deposits or withdrawals stopped (`{what}` is a Flow… message).
    AssetStopped => ("{asset}の{what}が停止されました", "{asset} {what} stopped"),
    /// Event title: they resumed.
    AssetResumed => ("{asset}の{what}が再開されました", "{asset} {what} resumed"),
    /// An asset on one of its networks.
    AssetOnNetwork => ("{asset}（{network}ネットワーク）", "{asset} ({network} network)"),
    /// What is stopped or resumed.
    FlowDeposits => ("入金", "deposits"),
    /// What is stopped or resumed.
    FlowWithdrawals => ("出金", "withdrawals"),
    /// What is stopped or resumed.
    FlowBoth => ("入出金", "deposits and withdrawals"),
    /// Body of an asset event.
    AssetStoppedBody => ("送金する前に再開を待ってください", "wait for them to resume before sending anything"),
    /// Body of an asset event.
    AssetResumedBody => ("通常どおり送金できます", "transfers go through again"),
    /// The API key was refused (status line, CLI, settings window).
    KeyRejected => ("bitbankがAPIキーを拒否しました（コード {code}）", "bitbank rejected the API key (code {code})"),
    /// The API key was refused, and what bitbank's code means for the user.
    KeyRejectedWhy => ("bitbankがAPIキーを拒否しました（コード {code}）：{why}", "bitbank rejected the API key (code {code}): {why}"),
    /// Why a key was refused: 20001.
    KeyWhyAuth => ("認証に失敗しました。APIキーとシークレット、このコンピューターの時計が正しいか確認してください", "authentication failed; check the API key and the secret, and that this computer's clock is right"),
    /// Why a key was refused: 20002.
    KeyWhyKeyInvalid => ("APIキーが正しくありません。全体をコピーしたか確認してください", "the API key is not valid; check that it was copied whole"),
    /// Why a key was refused: 20003.
    KeyWhyKeyUnknown => ("このAPIキーはbitbankにありません（削除されたか、打ち間違いです）", "bitbank knows no such API key (it was deleted, or mistyped)"),
    /// Why a key was refused: 20004.
    KeyWhyNonce => ("リクエストの時刻情報（nonce）がありません。bbwatchの不具合です", "the request had no nonce; this is a bug in bbwatch"),
    /// Why a key was refused: 20005.
    KeyWhySecret => ("APIシークレットが正しくありません", "the API secret is wrong"),
    /// The API key was accepted (settings window's Test).
    KeyAccepted => ("APIキーは有効です（入出金の状態を取得できました）", "the API key works (deposits and withdrawals can be read)"),
    /// The key test could not reach bitbank.
    KeyUnchecked => ("bitbankに確認できませんでした: {failure}", "could not ask bitbank: {failure}"),

    /// Body of an `_ended` event.
    EndedBody => ("取引を再開できます（継続時間 {duration}）", "trading can resume (lasted {duration})"),
    /// Popup body: a maintenance ended, one watched pair still restricted.
    EndedButPair => ("取引を再開できます。ただし{pair}は引き続き{state}です", "trading can resume, but {pair} is still {state}"),
    /// Popup body: a maintenance ended, several watched pairs still restricted.
    EndedButPairs => ("取引を再開できます。ただし次の銘柄は引き続き制限されています: {pairs}", "trading can resume, but these pairs are still restricted: {pairs}"),
    /// Body of an `_ended` event whose start was not seen.
    EndedBodyAtLeast => ("取引を再開できます（継続時間 {duration}以上）", "trading can resume (lasted at least {duration})"),
    /// Event body: the end of a `degraded` that was only deposits or withdrawals.
    EndedBodyTransfers => ("入金・出金ができます（継続時間 {duration}）", "deposits and withdrawals go through again (lasted {duration})"),
    /// Event body: the same, its start not seen.
    EndedBodyTransfersAtLeast => ("入金・出金ができます（継続時間 {duration}以上）", "deposits and withdrawals go through again (lasted at least {duration})"),
    /// Body of a pair event.
    PairBodyNormal => ("通常どおり取引できます", "trading normally"),
    /// Body of a pair event: back to normal after a restriction.
    PairBodyBackToNormal => ("通常どおりの取引に戻りました", "trading normally again"),
    /// A pair whose state is not known (no answer, or a maintenance).
    PairBodyUnknown => ("状態はわかりません", "state not known"),
    /// Body of a pair event.
    PairBodyBusy => ("混雑しています。最小注文数量が引き上げられている場合があります", "busy: the minimum order amount may be raised"),
    /// Body of a pair event.
    PairBodyHalted => ("注文・取消がすべて停止されています", "all orders and cancels are stopped"),
    /// Body of a pair event.
    PairBodySuspended => ("停止中の操作: {operations}", "stopped: {operations}"),
    /// Body of a pair event.
    PairBodyCircuitBreak => ("取引一時停止: {mode}", "trading paused: {mode}"),
    /// Body of a pair event.
    PairBodyReopen => ("再開予定 {time}", "reopens {time}"),
    /// Body of a pair event.
    PairBodyOther => ("不明な状態: {status}", "unknown status: {status}"),

    /// Pair state name.
    PairUnknown => ("不明", "unknown"),
    /// Pair state name.
    PairNormal => ("通常", "normal"),
    /// Pair state name.
    PairBusy => ("混雑", "busy"),
    /// Pair state name.
    PairVeryBusy => ("非常に混雑", "very busy"),
    /// Pair state name.
    PairHalted => ("取引停止", "halted"),
    /// Pair state name.
    PairSuspended => ("一部停止", "suspended"),
    /// Pair state name.
    PairCircuitBreak => ("サーキットブレイク", "circuit break"),
    /// Pair state name.
    PairOther => ("不明な状態", "unknown status"),

    /// Circuit-break mode name.
    ModeNone => ("通常モード", "normal mode"),
    /// Circuit-break mode name.
    ModeCircuitBreak => ("サーキットブレークモード", "circuit break mode"),
    /// Circuit-break mode name.
    ModeFullRange => ("無期限サーキットブレークモード", "indefinite circuit break mode"),
    /// Circuit-break mode name.
    ModeResumption => ("再開準備モード", "resumption preparation mode"),
    /// Circuit-break mode name.
    ModeListing => ("新規上場モード", "new listing mode"),

    /// Operation name (a stop flag).
    OpDisabled => ("銘柄無効", "pair disabled"),
    /// Operation name (a stop flag).
    OpOrder => ("新規注文", "new orders"),
    /// Operation name (a stop flag).
    OpOrderAndCancel => ("注文・取消", "orders and cancels"),
    /// Operation name (a stop flag).
    OpMarketOrder => ("成行注文", "market orders"),
    /// Operation name (a stop flag).
    OpStopOrder => ("逆指値注文", "stop orders"),
    /// Operation name (a stop flag).
    OpStopLimitOrder => ("逆指値指値注文", "stop-limit orders"),
    /// Operation name (a stop flag).
    OpMarginLong => ("信用買い", "margin long"),
    /// Operation name (a stop flag).
    OpMarginShort => ("信用売り", "margin short"),
    /// Operation name (a stop flag).
    OpBuy => ("買い注文", "buy orders"),
    /// Operation name (a stop flag).
    OpSell => ("売り注文", "sell orders"),

    /// Reason: an API error code.
    ReasonApiError => ("APIエラー {code}: {message}", "api error {code}: {message}"),
    /// Reason: an undocumented API error code.
    ReasonApiErrorUnknown => ("APIエラー {code}", "api error {code}"),
    /// Reason: every watched pair halted.
    ReasonAllHalted => ("監視中の全銘柄がHALT", "every watched pair is HALT"),
    /// Reason: another exchange's own status word or error code.
    ReasonStatus => ("ステータス {status}", "status {status}"),
    /// Reason: another exchange said its maintenance is scheduled.
    ReasonPlanned => ("定期メンテナンス（{status}）", "scheduled maintenance ({status})"),
    /// Reason: another exchange said its maintenance is an emergency.
    ReasonEmergency => ("緊急メンテナンス（{status}）", "emergency maintenance ({status})"),
    /// Reason: a host failure.
    ReasonHost => ("{host}: {failure}", "{host}: {failure}"),
    /// Host name.
    HostApi => ("APIサーバー", "api host"),
    /// Host name.
    HostPublic => ("公開データサーバー", "public host"),
    /// Failure: HTML error page.
    FailureHtml => ("HTTP {status}（エラーページ）", "HTTP {status} (error page)"),
    /// Failure: HTTP status without the envelope.
    FailureHttp => ("HTTP {status}", "HTTP {status}"),
    /// Failure: unreadable answer.
    FailureMalformed => ("不正な応答（HTTP {status}）", "malformed answer (HTTP {status})"),
    /// Failure: timeout.
    FailureTimeout => ("タイムアウト", "timeout"),
    /// Failure: connection failed.
    FailureNetwork => ("接続失敗", "connection failed"),
    /// Failure: rate limited.
    FailureRateLimited => ("アクセス制限中", "rate limited"),
    /// "and N more" after a list.
    AndMore => ("ほか{count}件", "and {count} more"),

    /// `status` output: when the check was made.
    StatusChecked => ("確認時刻", "checked"),
    /// `status` output: no watched pair is restricted.
    StatusAllPairsNormal => ("監視中の{count}銘柄はすべて通常", "all {count} watched pairs normal"),
    /// `status` output: the one watched pair is normal.
    StatusOnePairNormal => ("監視中の{pair}は通常", "watched pair {pair} normal"),
    /// `status` output: since when.
    Since => ("{time}から", "since {time}"),
    /// The start was not seen: the level held already when monitoring began.
    SinceBefore => ("{time}より前から", "since before {time}"),
    /// Since when, for a level that held already when this run of bbwatch first looked.
    SinceStarted => ("bbwatch起動時の{time}から", "since {time} (when bbwatch started)"),

    /// Window title.
    UiTitle => ("bbwatch — bitbankの状態", "bbwatch — bitbank status"),
    /// Window: when bitbank was last checked.
    UiChecked => ("最終確認 {time}", "checked {time}"),
    /// Window: the pairs table heading.
    UiPairs => ("監視中の銘柄", "Watched pairs"),
    /// Window: pairs table column.
    UiPair => ("銘柄", "Pair"),
    /// Window: pairs table column.
    UiState => ("状態", "State"),
    /// Window: pairs table column.
    UiDetail => ("詳細", "Details"),
    /// Window: the events list heading.
    UiEvents => ("最近の出来事", "Latest events"),
    /// Window: no events yet.
    UiNoEvents => ("まだ出来事はありません", "Nothing has happened yet"),
    /// Window: no pairs known yet.
    UiNoPairs => ("監視中の銘柄はまだありません", "No pairs watched yet"),
    /// Window: all watched pairs normal (the table is folded).
    UiPairsAllNormal => ("{count}銘柄すべて通常", "all {count} pairs normal"),
    /// Window: the one normal pair (the table is folded).
    UiOnePairNormal => ("{pair}は通常", "{pair} normal"),
    /// Window: the normal pairs below restricted ones (the table is folded).
    UiOtherPairsNormal => ("ほか{count}銘柄は通常", "{count} other pairs normal"),
    /// Window: show every pair.
    UiShowAllPairs => ("すべて表示", "Show all"),
    /// Window and tray: check now.
    CheckNow => ("今すぐ確認", "Check now"),
    /// Window and tray: settings.
    Settings => ("設定", "Settings"),
    /// Window: link to bitbank's announcements.
    UiAnnouncements => ("bitbankのお知らせ", "bitbank announcements"),
    /// Settings: start at login.
    UiAutostart => ("ログイン時に起動", "Start at login"),
    /// Settings: the configuration file.
    UiConfigFile => ("設定ファイル", "Configuration file"),
    /// Settings: the poll interval.
    UiInterval => ("確認間隔", "Check interval"),
    /// Settings: language.
    UiLanguage => ("言語", "Language"),
    /// Settings: every tradable pair is watched.
    UiAllTradablePairs => ("取引可能な全銘柄", "every tradable pair"),
    /// Window: rate limited.
    UiRateLimited => ("アクセス制限のため確認間隔を延ばしています", "rate limited: checking less often"),
    /// Window footer: the live stream is connected.
    UiLiveConnected => ("リアルタイム更新に接続中", "Live updates connected"),
    /// Window footer: the live stream is on but not connected.
    UiLiveConnecting => ("リアルタイム更新は再接続待ち", "Live updates reconnecting"),
    /// Window and tray: notifications are paused.
    NotificationsPaused => ("通知を一時停止中", "Notifications paused"),
    /// Window: back to the status view.
    UiBack => ("戻る", "Back"),
    /// Tray: open the status window.
    MenuOpen => ("状態ウィンドウを開く", "Open status window"),
    /// Tray: pause notifications submenu.
    MenuPause => ("通知を一時停止", "Pause notifications"),
    /// Tray: pause for an hour.
    MenuPauseHour => ("1時間", "For 1 hour"),
    /// Tray: pause until resumed.
    MenuPauseForever => ("再開するまで", "Until resumed"),
    /// Tray: resume notifications.
    MenuResume => ("通知を再開", "Resume notifications"),
    /// Tray: settings.
    MenuSettings => ("設定…", "Settings…"),
    /// Tray: open the announcements page.
    MenuAnnouncements => ("bitbankのお知らせを開く", "Open bitbank announcements"),
    /// Event title: the user stopped watching restricted pairs or assets.
    WatchChanged => ("監視対象の変更", "Watch list changed"),
    /// Event title: the user removed the API key while transfers were stopped.
    WatchKeyRemoved => ("APIキーの削除", "API key removed"),
    /// Reason: what the user no longer watches.
    ReasonUnwatched => ("{names}の監視をやめました", "no longer watching {names}"),
    /// Reason: the API key was removed.
    ReasonKeyRemoved => ("APIキーを削除したため、入金・出金は確認されなくなりました", "API key removed: deposits and withdrawals are no longer checked"),
    /// A maintenance popup's action: bitbank's announcements.
    ActionAnnouncements => ("お知らせを開く", "Open announcements"),
    /// Tray: quit.
    MenuQuit => ("終了", "Quit"),
    /// Window: fold the normal pairs again.
    UiHideNormalPairs => ("通常の銘柄をたたむ", "Hide normal pairs"),
    /// Settings: language from the locale.
    UiLanguageAuto => ("自動", "Automatic"),
    /// Settings: Japanese.
    UiLanguageJa => ("日本語", "日本語"),
    /// Settings: English.
    UiLanguageEn => ("English", "English"),

    /// Notification title: what happened, said to be about bitbank.
    NotifyTitle => ("{exchange}: {title}", "{exchange}: {title}"),
    /// Notification title for a pair.
    NotifyPairTitle => ("{exchange}: {pair} {state}", "{exchange}: {pair} {state}"),
    /// Notification after "Check now": when bitbank was checked.
    CheckedBody => ("{time}に確認しました。{meaning}", "Checked at {time}. {meaning}"),
    /// Tray tooltip: `bitbank: Maintenance since 14:31`.
    TrayTooltip => ("{exchange}: {level}（{since}）", "{exchange}: {level} {since}"),
    /// Tray tooltip with the reason after it.
    TrayTooltipReason => ("{head}、{reason}", "{head} — {reason}"),
    /// Notification: the local API cannot be served.
    ApiProblemTitle => ("bbwatch: ボット向けのローカルAPIを開始できません", "bbwatch: the local API for bots cannot start"),
    /// Notification: the history cannot be recorded.
    HistoryProblemTitle => ("bbwatch: 履歴を記録できません", "bbwatch: the history cannot be recorded"),
    /// Notification: what that means.
    HistoryProblemBody => ("監視と通知、フック、Webhookは続けます。", "Monitoring, notifications, hooks and webhooks go on."),
    /// Notification title (Windows): the status window needs WebView2, which is missing.
    WebViewMissingTitle => ("bbwatch: ウィンドウを開けません", "bbwatch: the window cannot open"),
    /// Notification: what to install (the URL is Microsoft's WebView2 Runtime download).
    WebViewMissingBody => ("状態ウィンドウにはMicrosoft Edge WebView2ランタイムが必要です。WebView2ランタイム（https://go.microsoft.com/fwlink/p/?LinkId=2124703）をインストールしてから、もう一度開いてください。トレイと通知はこのまま使えます。", "The status window needs the Microsoft Edge WebView2 Runtime. Install it from https://go.microsoft.com/fwlink/p/?LinkId=2124703 and open the window again. The tray and notifications work meanwhile."),
    /// Notification: what that means.
    ApiProblemBody => ("ボットはこのアプリに接続できません。設定の「ボット連携」でアドレスを変えられます。", "Bots cannot reach this app. The address can be changed under Bots in the settings."),
    /// Notification title: the configuration file could not be used.
    ConfigProblemTitle => ("bbwatch: 設定ファイルに誤りがあります", "bbwatch: the configuration file has an error"),
    /// Notification body and window banner: the defaults are in use (the file never loaded).
    ConfigProblemBody => ("直すまで既定の設定で動作します。", "bbwatch uses the default settings until it is fixed."),
    /// Notification body and window banner: the last good settings stay in use.
    ConfigProblemKept => ("直すまで、最後に正しく読めた設定で動作します。", "bbwatch keeps the last settings it could read until it is fixed."),
    /// One problem of the file, at a line: `line 12, webhooks[0].url: …`.
    ConfigIssueLine => ("{line}行目 {key}: {detail}", "line {line}, {key}: {detail}"),
    /// One problem of the file, its line not found.
    ConfigIssueKey => ("{key}: {detail}", "{key}: {detail}"),
    /// Notification body and window banner: the file was removed.
    ConfigFileRemoved => ("設定ファイルが削除されました。ファイルが戻るまで、今の設定で動作します。", "The configuration file was removed: bbwatch keeps the settings in force until a file is there again."),
    /// Names in the settings that bitbank does not list.
    UnlistedDetail => ("{exchange}が扱っていないため監視できません: {names}", "{exchange} does not list {names}, so it cannot be watched"),
    /// The file is not valid TOML there.
    ConfigSyntax => ("{line}行目: TOMLとして読めません（{detail}）", "line {line}: not valid TOML ({detail})"),
    /// Notification body and window banner: parts of the file are set aside (others can change it).
    ConfigSetAsideBody => ("ファイルのそれ以外の設定は有効です。", "The rest of the file is in force."),
    /// A part of a file others can change: hooks not run.
    SetAsideHooks => ("実行しません: {what}。他のユーザーがbbwatchにあなたとしてプログラムを実行させられるためです", "not run: {what}, so others could make bbwatch run programs as you"),
    /// A part of a file others can change: webhooks not sent.
    SetAsideWebhooks => ("送信しません: {what}。他のユーザーがイベントを任意の宛先に送らせられるためです", "not sent: {what}, so others could have your events sent anywhere"),
    /// A part of a file others can change: channels to the phone not sent.
    SetAsideChannels => ("送信しません: {what}。他のユーザーが保存済みのトークンやパスワードを任意の宛先に送らせられるためです", "not sent: {what}, so others could have your stored tokens and passwords sent anywhere"),
    /// Notification title: a channel to the phone could not deliver.
    ChannelProblemTitle => ("bbwatch: {name}に送れません", "bbwatch: cannot send to {name}"),
    /// Notification body: why a channel could not deliver, and that the others go on.
    ChannelProblemBody => ("{why}\nデスクトップ通知とほかの送信先には届いています。設定の「通知」→「ほかの送信先」で確認できます。", "{why}\nDesktop notifications and the other channels still work. Check it under Notifications → Also send to… in the settings."),
    /// A channel without the secret it needs.
    ChannelNoSecret => ("{what}が設定されていません（設定画面で保存するか、コマンドラインでは{env}またはsecret_fileで指定します）", "no {what} is set (save it in the settings, or give it to the command line in {env} or secret_file)"),
    /// A channel whose secret cannot be read (the keyring, its file).
    ChannelSecretUnreadable => ("{what}を読めません: {why}", "cannot read its {what}: {why}"),
    /// The secret of an ntfy channel.
    SecretAccessToken => ("アクセストークン", "access token"),
    /// The secret of a Telegram channel.
    SecretBotToken => ("ボットトークン", "bot token"),
    /// The secret of a LINE channel.
    SecretChannelToken => ("チャネルアクセストークン", "channel access token"),
    /// The secret of an e-mail channel.
    SecretPassword => ("パスワード", "password"),
    /// `bbwatch test-channels`: a channel took the test message.
    ChannelTestSent => ("{name}: テストメッセージを送りました", "{name}: test message sent"),
    /// `bbwatch test-channels`: a channel did not.
    ChannelTestFailed => ("{name}: 送れませんでした: {why}", "{name}: not sent: {why}"),
    /// `bbwatch test-channels NAME`: no such channel.
    ChannelNotFound => ("設定に「{name}」という送信先はありません", "no channel named {name} in the configuration"),
    /// `bbwatch test-channels`: the configuration has none.
    NoChannels => ("設定に送信先（[[channels]]）がありません", "the configuration has no channels ([[channels]])"),
    /// The test message sent to a channel: its title.
    ChannelTestTitle => ("bbwatch: テストメッセージ", "bbwatch: test message"),
    /// The test message sent to a channel: its body.
    ChannelTestBody => ("bitbankが止まったとき、ここに届きます。", "This is where bbwatch tells you when bitbank stops."),
    /// A part of a file others can change: the API token.
    SetAsideToken => ("使用せず、ローカルAPIも提供しません: {what}。他のユーザーがトークンを決められるためです", "not used, and the local API not served: {what}, so others could choose the token"),
    /// What mends a file others can change.
    TrustRun => ("{detail}。`{fix}` を実行してください", "{detail}; run `{fix}`"),
    /// A file or directory others can write.
    TrustWritable => ("{path}は{who}が書き込めます（モード {mode}）", "{path} is writable by {who} (mode {mode})"),
    /// A secret others can read.
    TrustReadable => ("{path}は{who}が読めます（モード {mode}）", "{path} is readable by {who} (mode {mode})"),
    /// A secret open to others in some other way.
    TrustOpen => ("{path}は{who}に開かれています（モード {mode}）", "{path} is open to {who} (mode {mode})"),
    /// Who: every user.
    TrustEveryUser => ("すべてのユーザー", "every user"),
    /// Who: the file's group.
    TrustGroup => ("グループのユーザー", "its group"),
    /// A file or directory owned by someone else.
    TrustForeign => ("{path}は別のユーザー（uid {owner}）が所有しています", "{path} is owned by another user (uid {owner})"),
    /// A file or directory whose owner and mode cannot be read.
    TrustUnknown => ("{path}を確認できません（{reason}）", "{path} cannot be checked ({reason})"),
    /// Window: a problem the form has no field for.
    UiConfigFixInFile => ("この値は設定画面にないため、ファイルで直してください。", "The settings window has no field for this: fix it in the file."),
    /// Window: notifications paused until a time.
    NotificationsPausedUntil => ("{time}まで通知を一時停止中", "Notifications paused until {time}"),
    /// Window: notifications paused until the user resumes them.
    NotificationsPausedForever => ("通知を一時停止中（再開するまで）", "Notifications paused until you resume them"),
    /// Tray: the timed pause entry while a pause until a time (an hour, or the window's) is on.
    MenuPausedUntil => ("{time}まで", "Until {time}"),
    /// Tray menu (one level): pause for an hour.
    MenuPauseForHour => ("1時間通知を止める", "Pause notifications for 1 hour"),
    /// Tray menu (one level): pause until resumed.
    MenuPauseUntilResumed => ("再開するまで通知を止める", "Pause notifications until resumed"),
    /// Tray menu and tooltip: paused until a time.
    MenuPausedUntilTime => ("{time}まで通知を停止中", "Notifications paused until {time}"),
    /// Tray menu and tooltip: paused until resumed.
    MenuPausedUntilResumed => ("再開するまで通知を停止中", "Notifications paused until resumed"),
    /// Window: pairs whose state is not known during a maintenance.
    UiPairsUnknownMaintenance => ("メンテナンス中は{count}銘柄の状態がわかりません", "{count} pairs: state not known during the maintenance"),
    /// Window: pairs whose state is not known while bitbank does not answer.
    UiPairsUnknownNoAnswer => ("bitbankが応答しないため{count}銘柄の状態がわかりません", "{count} pairs: state not known while bitbank does not answer"),
    /// Title of the one notification that tells what quiet hours held back.
    QuietSummaryTitle => ("bitbank: 通知を控えていた間の出来事", "bitbank: while notifications were quiet"),
    /// A duration that is a lower bound (the start was not seen).
    AtLeast => ("{duration}以上", "at least {duration}"),
    /// Window title of the settings view.
    UiSettingsTitle => ("bbwatch — 設定", "bbwatch — Settings"),
    /// Settings: open the configuration file in the user's editor.
    UiOpenConfig => ("ファイルを開く", "Open file"),
    /// Window: the configuration file has an error (the details follow).
    UiConfigProblem => ("設定ファイルに誤りがあります", "The configuration file has an error"),

    /// Settings form (the settings window; see settings_form.rs): section heading.
    SetMonitoring => ("監視", "Monitoring"),
    /// Settings form: how the interval is bounded, and why.
    SetIntervalHint => ("1秒から1時間まで（30s、2m、1hのように）。bitbankのアクセス制限を守るため、1秒より短くはできません。", "From 1s to 1h (write 30s, 2m, 1h). It cannot be shorter than 1s, to stay within bitbank's rate limits."),
    /// Settings form: request timeout.
    SetTimeout => ("応答を待つ時間", "Request timeout"),
    /// Settings form: timeout bounds.
    SetTimeoutHint => ("1秒から2分まで。これを過ぎた応答は失敗とみなします。", "From 1s to 2m; an answer that takes longer counts as a failure."),
    /// Settings form: failure threshold.
    SetFailureThreshold => ("障害とみなす連続失敗回数", "Failures in a row before down"),
    /// Settings form: failure threshold rule.
    SetFailureHint => ("1以上の整数。一度の失敗で誤って知らせないための回数です。", "A whole number, at least 1, so that one failed check is not taken for an outage."),
    /// Settings form: watch the default set of pairs.
    SetPairsDefault => ("起動時に取引可能な全銘柄（既定）", "Every pair tradable when bbwatch starts (default)"),
    /// Settings form: watch the pairs chosen.
    SetPairsChosen => ("選んだ銘柄だけ", "Only the pairs chosen below"),
    /// Settings form: search box.
    SetPairsSearch => ("銘柄を検索", "Search pairs"),
    /// Settings form: select every pair.
    SetSelectAll => ("すべて選択", "Select all"),
    /// Settings form: select no pair.
    SetSelectNone => ("選択を解除", "Select none"),
    /// Settings form: select the pairs tradable now.
    SetSelectTradable => ("いま取引可能な銘柄", "Tradable now"),
    /// Settings form: a group of pairs by quote asset.
    SetQuoteGroup => ("{quote}建て", "Priced in {quote}"),
    /// Settings form: the group of pairs that do not trade.
    SetPairsUnavailable => ("停止中・上場廃止の銘柄", "Suspended and delisted pairs"),
    /// Settings form: a watched pair bitbank no longer lists.
    SetPairDelisted => ("bitbankの銘柄一覧にありません（上場廃止）", "not in bitbank's list of pairs (delisted)"),
    /// Settings form: the pair list is being fetched.
    SetPairsLoading => ("銘柄一覧を取得しています…", "Fetching the list of pairs…"),
    /// Settings: the pair search found nothing.
    SetPairsNoMatch => ("「{query}」に一致する銘柄はありません", "No pair matches “{query}”"),
    /// Settings: the link that moves the keyboard focus past the pair list.
    SetSkipPairs => ("銘柄の一覧を飛ばす", "Skip the pair list"),
    /// Settings form: the pair list could not be fetched.
    SetPairsFailed => ("銘柄一覧を取得できませんでした：{error}", "Could not fetch the list of pairs: {error}"),
    /// Settings form: how many requests one check makes.
    SetRequests => ("1回の確認で{count}件のリクエストを送ります（2件＋監視する銘柄ごとに1件）", "Each check makes {count} requests (2 + one per watched pair)"),
    /// Settings form: how many requests one check makes while the stream covers the pairs.
    SetRequestsStream => ("リアルタイム更新の接続中は、1回の確認で2件のリクエストだけを送ります（接続が切れている間は{count}件）", "While live updates are connected, each check makes only 2 requests ({count} while they are not)"),
    /// Settings form: the stream switch.
    SetStream => ("サーキットブレイクをリアルタイムで受け取る（bitbankのストリーム）", "Get circuit breaks live from bitbank's stream"),
    /// Settings form: what the stream switch does.
    SetStreamHint => ("接続中はサーキットブレイクが1秒以内に分かり、リクエストも減ります。接続が切れている間は従来どおり確認します。", "Circuit breaks show within a second, with fewer requests. While the stream is unreachable, bbwatch checks as before."),
    /// Settings form: section heading.
    SetNotifications => ("通知", "Notifications"),
    /// Settings form: notification kind.
    SetNotifyMaintenance => ("メンテナンスの開始・終了", "Maintenance started or ended"),
    /// Settings form: notification kind.
    SetNotifyDown => ("APIの障害・復旧", "API down or back"),
    /// Settings form: notification kind.
    SetNotifyUnreachable => ("接続不可・復旧", "Unreachable or back"),
    /// Settings form: notification kind.
    SetNotifyDegraded => ("一部制限の開始・解除", "Restrictions started or lifted"),
    /// Settings form: notification kind.
    SetNotifyPairs => ("監視銘柄の停止・再開", "A watched pair halted or resumed"),
    /// Settings form: notification kind.
    SetNotifyBusy => ("監視銘柄の混雑（既定はオフ）", "A watched pair busy (off by default)"),
    /// Settings form: notification sound.
    SetSound => ("通知音を鳴らす", "Play a sound"),
    /// Settings form: quiet hours switch.
    SetQuietHours => ("通知しない時間帯", "Quiet hours"),
    /// Settings form: quiet hours start.
    SetQuietFrom => ("開始", "From"),
    /// Settings form: quiet hours end.
    SetQuietTo => ("終了", "To"),
    /// Settings form: quiet hours rule.
    SetQuietHint => ("この端末の時刻で、開始から終了まで通知を表示しません（日をまたいでもかまいません）。", "No notifications from the start to the end, in local time (it may span midnight)."),
    /// Settings form: section heading.
    SetGeneral => ("一般", "General"),
    /// Settings form: section heading.
    SetAdvanced => ("詳細", "Advanced"),
    /// Settings: the About section's heading.
    SetAbout => ("このアプリについて", "About"),
    /// About: what the app is, in one line.
    AboutTagline => ("bitbankのメンテナンス・取引停止・入出金停止をすぐにお知らせします。", "Tells you the moment bitbank goes into maintenance, halts a pair or stops deposits or withdrawals."),
    /// About: the version of this build.
    AboutVersion => ("バージョン{version}", "Version {version}"),
    /// About: the licence.
    AboutLicence => ("ライセンス：{licence}", "Licence: {licence}"),
    /// About: the link to bitbank's API documentation.
    AboutApiDocs => ("bitbankのAPIドキュメント", "bitbank API documentation"),
    /// Settings form: the api host.
    SetApiUrl => ("APIのURL", "API base URL"),
    /// Settings form: the public host.
    SetPublicUrl => ("公開APIのURL", "Public base URL"),
    /// Settings form: the stream host.
    SetStreamUrl => ("ストリームのURL", "Stream URL"),
    /// Settings form: restore bitbank's URLs.
    SetResetUrls => ("bitbankの既定に戻す", "Reset to bitbank's"),
    /// Settings: a host set by the environment, shown as the one in use.
    SetUrlFromEnv => ("環境変数 {var} で指定されたアドレスを使用中です（ここでは変更できません。ファイルの値はその間使われません）", "In use, set by {var} in the environment (read-only here; the file's value is not used while it is set)"),
    /// Settings: how long the history is kept.
    SetRetention => ("履歴を残す日数", "Keep history for (days)"),
    /// Settings: the history field's hint.
    SetRetentionHint => ("0ならすべて残します。これより古い出来事は1日に1回消去されます。", "0 keeps everything. Older events are forgotten once a day."),
    /// Settings: section heading for bots.
    SetBots => ("ボット連携", "Bots"),
    /// Settings: the local API switch.
    SetApiEnabled => ("ボット向けのローカルAPIを提供する", "Serve the local API for bots"),
    /// Settings: the local API's address.
    SetApiListen => ("待ち受けるアドレス", "Listen address"),
    /// Settings: what the local API offers.
    SetApiHint => ("ボットはこのアドレスの「/v1/status」で状態を、「/v1/events」で出来事を受け取れます。保存するとすぐに有効になります。", "Bots read the status at /v1/status and follow events at /v1/events on this address. Takes effect when saved."),
    /// Settings: "pause until a time" field's label.
    SetPauseUntil => ("この時刻まで通知を一時停止", "Pause notifications until"),
    /// Settings: the pause button.
    SetPauseApply => ("一時停止", "Pause"),
    /// Settings: the pause row's hint.
    SetPauseHint => ("すぐに有効になります（保存は不要）。過ぎた時刻なら翌日のその時刻までです。トレイのアイコンは変わり続けます。", "Takes effect at once (no need to save). A time already past today means tomorrow. The tray icon keeps changing."),
    /// Settings: notifications are not paused.
    SetNotPaused => ("通知は表示されます", "Notifications are on"),
    /// Settings form: send a test notification.
    SetTestNotification => ("テスト通知を送る", "Send a test notification"),
    /// Test notification: title.
    TestNotifyTitle => ("bitbank: テスト通知", "bitbank: test notification"),
    /// Test notification: body.
    TestNotifyBody => ("bbwatchの通知はこのように表示されます。", "This is how bbwatch's notifications look."),
    /// Settings form: save.
    SetSave => ("保存", "Save"),
    /// Settings form: discard the changes.
    SetCancel => ("キャンセル", "Cancel"),
    /// Settings form: saved.
    SetSaved => ("保存しました", "Saved"),
    /// Settings form: why Save is disabled.
    SetFixToSave => ("誤りを直すと保存できます", "Fix the errors to save"),
    /// Settings form: the bad file can be fixed here.
    SetFixHint => ("印の付いた項目を直して保存すると、設定ファイルが修正されます。", "Correct the marked field and save to fix the file."),
    /// Settings form: closing with unsaved changes.
    SetUnsavedTitle => ("変更が保存されていません", "You have unsaved changes"),
    /// Settings form: closing with unsaved changes.
    SetUnsavedBody => ("閉じる前に保存しますか？", "Save them before closing?"),
    /// Settings form: throw the changes away.
    SetDiscard => ("保存しない", "Discard"),
    /// Settings form: go back to the form.
    SetKeepEditing => ("編集を続ける", "Keep editing"),
    /// Field error: nothing typed.
    ErrRequired => ("入力してください", "Required"),
    /// Field error: not a duration.
    ErrDuration => ("「{value}」は時間として読めません。30s、2m、1hのように書いてください", "\"{value}\" is not a duration: write it like 30s, 2m or 1h"),
    /// Field error: interval below the minimum.
    ErrIntervalMin => ("{min}より短くはできません（bitbankのアクセス制限を守るため）", "must be at least {min}, to stay within bitbank's rate limits"),
    /// Field error: below a minimum.
    ErrTooShort => ("{min}以上にしてください", "must be at least {min}"),
    /// Field error: above a maximum.
    ErrTooLong => ("{max}以下にしてください", "must be at most {max}"),
    /// Field error: not a positive whole number.
    ErrWholeNumber => ("1以上の整数を入力してください", "must be a whole number, at least 1"),
    /// Settings form: days of history.
    ErrDays => ("0（すべて残す）から{max}までの日数を入力してください", "must be a number of days from 0 (keep everything) to {max}"),
    /// Field error: no pair chosen.
    ErrNoPairs => ("少なくとも1銘柄を選んでください", "choose at least one pair"),
    /// Field error: too many pairs.
    ErrTooManyPairs => ("{count}銘柄が選ばれています。監視できるのは{max}銘柄までです", "{count} pairs chosen; at most {max} can be watched"),
    /// Field error: not a pair name.
    ErrPairName => ("「{value}」はbtc_jpyのような銘柄名ではありません", "\"{value}\" is not a pair name like btc_jpy"),
    /// Field error: not a time of day.
    ErrTime => ("「{value}」は23:00のような時刻ではありません", "\"{value}\" is not a time like 23:00"),
    /// Field error: not an http(s) URL.
    ErrUrl => ("「{value}」はhttpsまたはhttpのURLではありません", "\"{value}\" is not an http(s) URL"),
    /// Form error: not a stream URL.
    ErrStreamUrl => ("「{value}」はwssまたはwsのURLではありません", "\"{value}\" is not a ws(s) URL"),
    /// Field error: not a socket address.
    ErrAddress => ("「{value}」は127.0.0.1:8765のようなアドレスとポートではありません", "\"{value}\" is not an address and port like 127.0.0.1:8765"),
    /// Field error: a non-loopback address for the local API without a token.
    ErrNeedsToken => ("ほかの機器から届くアドレスにするには、設定ファイルの[api]にtoken（またはtoken_file）が必要です", "an address other machines can reach needs a token: set token (or token_file) under [api] in the configuration file"),
    /// Field error: a value the window does not edit is wrong.
    ErrOther => ("設定ファイルの他の値に誤りがあります：{message}", "another value in the file is wrong: {message}"),

    /// Duration units.
    DurationHours => ("{h}時間{m}分", "{h} h {m} min"),
    /// Duration units.
    DurationMinutes => ("{m}分{s}秒", "{m} min {s} s"),
    /// Duration units, a whole number of minutes.
    DurationWholeMinutes => ("{m}分", "{m} min"),
    /// Duration units.
    DurationSeconds => ("{s}秒", "{s} s"),

    /// `bbwatch wait` returns: bitbank is usable again.
    WaitReady => ("{exchange}：{level}（{waited}待ちました）", "{exchange}: {level} (waited {waited})"),
    /// `bbwatch wait` gives up at `--max-wait`.
    WaitGaveUp => ("{exchange}：{waited}待ちましたが、まだ{level}です", "{exchange}: still {level} after {waited}; giving up"),
    /// `bbwatch wait` interrupted.
    WaitInterrupted => ("{exchange}：待機を中断しました（{level}）", "{exchange}: stopped waiting ({level})"),

    /// Settings: the API key's section.
    SetApiKey => ("bitbank APIキー（任意）", "bitbank API key (optional)"),
    /// Settings: what the key is for, and which permission to give it.
    SetApiKeyHint => ("APIキーがあると、入金・出金の停止も見張ります。bitbankで「参照」の権限だけを付けたキーを作ってください（取引・出金の権限は付けないでください）。キーはシステムのキーリングに保存され、ファイルには書かれません。", "With an API key, bbwatch also watches whether deposits and withdrawals are stopped. Create a key on bitbank with the read-only (参照) permission only; do not give it trading or withdrawal permissions. The key is kept in the system keyring, never in a file."),
    /// Settings: the link to bitbank's API key page.
    SetApiKeyLink => ("bitbankのAPIキーのページを開く", "Open bitbank's API key page"),
    /// Settings: field.
    SetApiKeyField => ("APIキー", "API key"),
    /// Settings: field.
    SetApiSecretField => ("APIシークレット", "API secret"),
    /// Settings: button.
    SetKeyTest => ("テスト", "Test"),
    /// Settings: button.
    SetKeySave => ("キーを保存", "Save key"),
    /// Settings: button.
    SetKeyRemove => ("キーを削除", "Remove key"),
    /// Settings: the button that shows the typed secret.
    SetSecretShow => ("表示", "Show"),
    /// Settings: the button that hides the typed secret again.
    SetSecretHide => ("隠す", "Hide"),
    /// Settings: the question before removing the key.
    SetKeyRemoveTitle => ("APIキーを削除しますか？", "Remove the API key?"),
    /// Settings: what removing the key does.
    SetKeyRemoveBody => ("キーはシステムのキーリングから削除され、入金・出金の停止は見張られなくなります。bitbankのキー自体は有効なままです。不要ならbitbankでも削除してください。", "bbwatch takes it out of the system keyring and stops watching deposits and withdrawals. The key itself stays valid on bitbank: delete it there too if you no longer need it."),
    /// Settings: the answer that keeps the key.
    SetKeyRemoveKeep => ("削除しない", "Keep the key"),
    /// Settings: a key is stored (its first characters).
    SetKeyStored => ("保存済みのキー：{key}", "Key stored: {key}"),
    /// Settings: no key stored.
    SetKeyNone => ("キーは保存されていません", "No key stored"),
    /// Settings: while a key request is under way.
    SetKeyWorking => ("確認中…", "Working…"),
    /// The keyring cannot be used.
    KeyringUnavailable => ("システムのキーリングを使えません（{error}）", "The system keyring is not available ({error})"),
    /// The typed key or secret is not one.
    KeyInvalid => ("キーを使えません：{error}", "Not a usable key: {error}"),
    /// The key was stored.
    KeySaved => ("キーを保存しました", "Key saved"),
    /// The key was removed.
    KeyRemoved => ("キーを削除しました", "Key removed"),
    /// First start: the welcome's title.
    WelcomeTitle => ("bbwatchへようこそ", "Welcome to bbwatch"),
    /// First start: what bbwatch does, before the icon's colours.
    WelcomeIntro => ("bbwatchはトレイからbitbankを見張ります。アイコンの色と形で状態がわかります。", "bbwatch watches bitbank from the tray. Its icon's colour and shape say how bitbank is:"),
    /// First start: how to use the tray icon.
    WelcomeClicks => ("アイコンを左クリックするとこの画面（状態）が開き、右クリックでメニューが開きます。", "Left click the icon to open this window (the status); right click it for the menu."),
    /// First start: what can be set now.
    WelcomeOffer => ("必要なら、今すぐ（あとで「設定」からでも）設定できます：", "If you like, set up now (or later, in Settings):"),
    /// First start: the button to the watched pairs.
    WelcomePairs => ("見張る銘柄を選ぶ", "Choose the pairs to watch"),
    /// First start: the button to the API key.
    WelcomeKey => ("参照専用のAPIキーを追加（任意）", "Add a read-only API key (optional)"),
    /// First start: the button to "Start at login".
    WelcomeAutostart => ("ログイン時に起動する", "Start at login"),
    /// First start: the button that closes the welcome.
    WelcomeDone => ("はじめる", "Got it"),
    /// Settings: the watched assets' field.
    SetAssets => ("見張る通貨", "Watched assets"),
    /// Settings: the watched assets' hint.
    SetAssetsHint => ("カンマ区切り（例：btc, eth）。空欄なら保有している通貨と円。", "Comma-separated (e.g. btc, eth). Empty: the assets you hold, and JPY."),
    /// Settings: notification checkbox.
    SetNotifyAssets => ("入金・出金の停止と再開", "Deposits and withdrawals stopped or resumed"),
    /// Status window: the heading of the stopped deposits and withdrawals.
    UiAssets => ("入金・出金", "Deposits and withdrawals"),
    /// Settings: a watched asset that is not an asset name.
    ErrAssetName => ("「{value}」はxrpのような通貨名ではありません", "\"{value}\" is not an asset name like xrp"),

    // Channels to the phone (settings window, issue 27).
    /// Settings: the group of channels under Notifications.
    SetChannels => ("ほかの送信先", "Also send to…"),
    /// Settings: what the channels are.
    SetChannelsHint => ("スマートフォンなどにも通知を送ります。送る出来事と静かな時間はデスクトップ通知の設定に従います。トークンやパスワードはシステムのキーリングに保存され、ファイルには書かれません。", "Notifications also go to your phone or inbox. They follow the desktop notifications' choices and quiet hours. Tokens and passwords are kept in the system keyring, never in a file."),
    /// Settings: no channel yet.
    SetChannelsNone => ("送信先はまだありません", "No channel yet"),
    /// Settings: the kind chooser's label.
    SetChannelAddKind => ("追加する送信先", "Channel to add"),
    /// Settings: the add button.
    SetChannelAdd => ("追加", "Add"),
    /// Settings: a channel kind.
    ChannelNtfy => ("ntfy", "ntfy"),
    /// Settings: a channel kind.
    ChannelTelegram => ("Telegram", "Telegram"),
    /// Settings: a channel kind.
    ChannelLine => ("LINE", "LINE"),
    /// Settings: a channel kind.
    ChannelEmail => ("メール", "E-mail"),
    /// Settings: a channel's name field.
    SetChannelName => ("名前（任意）", "Name (optional)"),
    /// Settings: ntfy's topic URL.
    SetChannelTopicUrl => ("トピックのURL", "Topic URL"),
    /// Settings: ntfy's access token.
    SetChannelNtfyToken => ("アクセストークン（任意）", "Access token (optional)"),
    /// Settings: Telegram's bot token.
    SetChannelBotToken => ("ボットのトークン", "Bot token"),
    /// Settings: Telegram's chat id.
    SetChannelChatId => ("チャットID", "Chat ID"),
    /// Settings: LINE's channel access token.
    SetChannelLineToken => ("チャネルアクセストークン", "Channel access token"),
    /// Settings: LINE's user id.
    SetChannelUserId => ("ユーザーID", "User ID"),
    /// Settings: the SMTP host.
    SetChannelSmtpHost => ("SMTPサーバー", "SMTP server"),
    /// Settings: the SMTP port.
    SetChannelSmtpPort => ("ポート", "Port"),
    /// Settings: the SMTP security.
    SetChannelTls => ("暗号化", "Security"),
    /// Settings: SMTP with STARTTLS.
    SetChannelStarttls => ("STARTTLS（通常587番）", "STARTTLS (usually port 587)"),
    /// Settings: SMTP over TLS from the start.
    SetChannelTlsDirect => ("TLS（通常465番）", "TLS (usually port 465)"),
    /// Settings: the example of an ntfy topic URL.
    SetChannelTopicExample => ("例：https://ntfy.sh/my-bitbank-alerts", "e.g. https://ntfy.sh/my-bitbank-alerts"),
    /// Settings: Telegram's or LINE's API server, for a proxy or a test server.
    SetChannelApiUrl => ("APIサーバー（任意。プロキシなどを使う場合）", "API server (optional: a proxy or a test server)"),
    /// Settings: the SMTP user name.
    SetChannelUsername => ("ユーザー名", "User name"),
    /// Settings: the SMTP password.
    SetChannelPassword => ("パスワード", "Password"),
    /// Settings: the sender.
    SetChannelFrom => ("差出人（任意）", "From (optional)"),
    /// Settings: the recipients.
    SetChannelTo => ("宛先（カンマ区切り）", "To (comma-separated)"),
    /// Settings: urgent events in quiet hours.
    SetChannelUrgent => ("静かな時間でも緊急の出来事（メンテナンス・障害の開始）だけはすぐ送る", "In quiet hours, still send urgent events (maintenance and outages starting) at once"),
    /// Settings: a secret is stored in the keyring.
    SetChannelSecretStored => ("保存済み（キーリング）", "Stored (keyring)"),
    /// Settings: replace the stored secret.
    SetChannelSecretReplace => ("置き換える", "Replace"),
    /// Settings: the placeholder of a secret field that keeps the stored secret.
    SetChannelSecretKeep => ("空欄なら保存済みのものを使います", "Leave empty to keep the stored one"),
    /// Settings: send a test through a channel.
    SetChannelTest => ("テストを送る", "Send a test"),
    /// Settings: show a channel's fields.
    SetChannelEdit => ("設定を編集", "Edit"),
    /// Settings: remove a channel.
    SetChannelRemove => ("削除", "Remove"),
    /// Settings: a channel's test is under way.
    SetChannelSending => ("送信中…", "Sending…"),
    /// Settings: the hint of a new channel: saved with the settings.
    SetChannelUnsaved => ("保存すると有効になります", "Takes effect when saved"),
    /// Settings: a channel's test was sent.
    SetChannelTestSent => ("テストを送りました。届いたか確かめてください", "Test sent: check that it arrived"),
    /// Settings: a channel's test failed.
    SetChannelTestFailed => ("送れませんでした：{error}", "Could not send: {error}"),
    /// Field error: not a channel name.
    ErrChannelName => ("「{value}」は名前に使えません。英数字と - _ で{max}文字までにしてください", "\"{value}\" cannot be a name: use at most {max} letters, digits, - or _"),
    /// Field error: a name used twice.
    ErrChannelNameTaken => ("「{value}」はほかの送信先の名前です。別の名前を付けてください", "\"{value}\" names another channel too: give each its own name"),
    /// Field error: an ntfy URL without a topic.
    ErrNtfyTopic => ("「{value}」にはトピックがありません。https://ntfy.sh/my-topicのように最後にトピックを付けてください", "\"{value}\" names no topic: end it with the topic, like https://ntfy.sh/my-topic"),
    /// Field error: not a Telegram chat id.
    ErrTelegramChat => ("「{value}」はチャットIDではありません（123456789のような数字、または@channel）", "\"{value}\" is not a chat id (a number like 123456789, or @channel)"),
    /// Field error: not a LINE id.
    ErrLineId => ("「{value}」はLINEのIDではありません（Uで始まる33文字）", "\"{value}\" is not a LINE id (U and 32 hex digits)"),
    /// Field error: not an e-mail address.
    ErrEmail => ("「{value}」はメールアドレスではありません", "\"{value}\" is not an e-mail address"),
    /// Field error: not an SMTP host.
    ErrSmtpHost => ("「{value}」はsmtp.example.comのようなホスト名ではありません", "\"{value}\" is not a host name like smtp.example.com"),
    /// Field error: not a port.
    ErrPort => ("「{value}」は1から65535までのポート番号ではありません", "\"{value}\" is not a port from 1 to 65535"),
    /// Window: the heading of the other watched exchanges' cards.
    UiOtherExchanges => ("ほかの取引所", "Other exchanges"),
    /// Settings: the section that chooses the other exchanges.
    SetExchanges => ("取引所", "Exchanges"),
    /// Settings: what choosing another exchange does.
    SetExchangesHint => ("bitbankはいつも見張ります。ほかの取引所も選ぶと、トレイのアイコンはいちばん悪い状態を示し、通知には取引所の名前が付きます。", "bitbank is always watched. With other exchanges chosen, the tray icon shows the worst state of them all, and each notification names its exchange."),
    /// Settings: the GMO Coin checkbox.
    SetExchangeGmocoin => ("GMOコイン", "GMO Coin"),
    /// Settings: the bitFlyer checkbox.
    SetExchangeBitflyer => ("bitFlyer", "bitFlyer"),
    /// Settings: the Coincheck checkbox.
    SetExchangeCoincheck => ("Coincheck", "Coincheck"),
    /// Settings: bitFlyer's products field.
    SetBitflyerProducts => ("bitFlyerで見張る商品", "bitFlyer products to watch"),
    /// Settings: the hint under bitFlyer's products.
    SetBitflyerProductsHint => ("カンマ区切りの商品コード（例：BTC_JPY, FX_BTC_JPY）。", "Comma-separated product codes (e.g. BTC_JPY, FX_BTC_JPY)."),
    /// Settings: Coincheck's pairs field.
    SetCoincheckPairs => ("Coincheckで見張る銘柄", "Coincheck pairs to watch"),
    /// Settings: the hint under Coincheck's pairs.
    SetCoincheckPairsHint => ("カンマ区切り（例：btc_jpy, eth_jpy）。空欄なら取り扱いのあるすべての銘柄。", "Comma-separated (e.g. btc_jpy, eth_jpy). Empty: every pair it lists."),
    /// Field error: not a bitFlyer product code.
    ErrProductCode => ("「{value}」はBTC_JPYのような商品コードではありません", "\"{value}\" is not a product code like BTC_JPY"),
    /// Field error: no bitFlyer product named.
    ErrNoProducts => ("少なくとも1つの商品を入力してください", "name at least one product"),
    /// Field error: too many bitFlyer products.
    ErrTooManyProducts => ("{count}商品が入力されています。見張れるのは{max}商品までです", "{count} products named; at most {max} can be watched"),
}

/// Every message in `lang`, by key: what the web UI loads once.
pub fn catalogue(lang: Lang) -> std::collections::BTreeMap<&'static str, &'static str> {
    let history = HistoryMsg::ALL.iter().map(|m| (m.key(), m.text(lang)));
    Msg::ALL
        .iter()
        .map(|m| (m.key(), m.text(lang)))
        .chain(history)
        .collect()
}

catalogue! {
    /// The words of the history (`bbwatch history` and the window's History view; the web UI
    /// loads them with [`Msg`]'s).
    enum HistoryMsg;
    /// A period still under way.
    Ongoing => ("継続中", "ongoing"),
    /// A period whose end is not known (bbwatch was not running).
    EndUnknown => ("終了時刻不明（bbwatchが停止中に終了）", "end unknown (ended while bbwatch was not running)"),
    /// A period's end: no longer watched from then (the user's change).
    UnwatchedAt => ("{time}（以降は監視対象外）", "{time} (no longer watched)"),
    /// A period's length up to when the user stopped watching it.
    WatchedFor => ("{duration}（その後は監視対象外）", "{duration}, then no longer watched"),
    /// A period whose start is not in the history.
    StartUnknown => ("開始時刻不明", "start unknown"),
    /// Nothing matched.
    NoPeriods => ("該当する期間はありません", "no periods recorded"),
    /// Nothing matched (events).
    NoEvents => ("該当する出来事はありません", "no events recorded"),
    /// No history file yet.
    NoHistory => ("履歴はまだありません（{path}）", "no history yet ({path})"),
    /// A period's duration while under way.
    SoFar => ("{duration}経過", "{duration} so far"),
    /// Period name.
    PeriodMaintenance => ("メンテナンス", "Maintenance"),
    /// Period name.
    PeriodDown => ("API障害", "API down"),
    /// Period name.
    PeriodUnreachable => ("接続不可", "Unreachable"),
    /// Period name.
    PeriodDegraded => ("一部制限", "Degraded"),
    /// Window: the History button and view title.
    HistTitle => ("履歴", "History"),
    /// Window title on the History view.
    HistWindowTitle => ("bbwatch — 履歴", "bbwatch — History"),
    /// History view: the summary's heading.
    HistThisMonth => ("今月", "This month"),
    /// History view: how many maintenances this month.
    HistCount => ("メンテナンス回数", "Maintenances"),
    /// History view: their average length.
    HistAverage => ("平均", "Average"),
    /// History view: the longest.
    HistLongest => ("最長", "Longest"),
    /// History view: the last maintenance.
    HistLast => ("前回のメンテナンス", "The last maintenance"),
    /// History view: no maintenance recorded.
    HistNone => ("記録はまだありません", "None recorded yet"),
    /// History view: the last maintenance, ended.
    HistLastEnded => ("{start}から{duration}、{end}に終了", "{start}, lasted {duration}, ended {end}"),
    /// History view: the last maintenance, under way.
    HistLastOngoing => ("{start}から継続中（{duration}経過）", "Since {start}, under way ({duration} so far)"),
    /// History view: the last maintenance, its end not known.
    HistLastEndUnknown => ("{start}から（終了時刻不明）", "{start} (end unknown)"),
    /// History view: the last maintenance, no longer watched.
    HistLastUnwatched => ("{start}から{end}まで監視（以降は監視対象外）", "{start}, watched until {end}"),
    /// History view: the chart's heading.
    HistChart => ("1日あたりのメンテナンス・障害", "Maintenance and outage per day"),
    /// History view: the chart's range.
    Hist30Days => ("30日", "30 days"),
    /// History view: the chart's range.
    Hist90Days => ("90日", "90 days"),
    /// History view: down or unreachable, in the chart's legend.
    HistOutage => ("障害・接続不可", "Outage"),
    /// History view: availability over the range.
    HistAvailability => ("直近{days}日の稼働率 {percent}%", "Availability over {days} days: {percent}%"),
    /// History: no availability to show, as nothing is recorded yet.
    HistNoData => ("まだデータがありません", "No data yet"),
    /// History view: the chart for screen readers.
    HistChartLabel => ("直近{days}日の1日あたりのメンテナンス・障害の分数", "Minutes of maintenance and outage per day over the last {days} days"),
    /// History view: the chart library did not load.
    HistChartMissing => ("グラフのライブラリがありません（makeでインストールされます）", "The chart library is missing (make installs it)"),
    /// History view: the chart's minutes axis.
    HistMinutesShort => ("{m}分", "{m} min"),
    /// History view: the list's heading.
    HistPeriods => ("期間", "Periods"),
    /// History view: the kind filter.
    HistKind => ("種類", "Kind"),
    /// History view: every kind.
    HistAllKinds => ("すべて", "All kinds"),
    /// History view: every pair.
    HistAllPairs => ("すべての銘柄", "All pairs"),
    /// History view: export the list.
    HistExport => ("CSVに書き出す", "Export CSV"),
    /// History view: where the CSV went.
    HistExported => ("{path} に保存しました", "Saved to {path}"),
    /// History view: column.
    HistStart => ("開始", "Start"),
    /// History view: column.
    HistDuration => ("長さ", "Duration"),
    /// History view: column.
    HistWhat => ("内容", "What"),
    /// History view: column.
    HistWhy => ("理由", "Why"),
    /// History view: a period's end, in its tooltip.
    HistEndedAt => ("{time}に終了", "Ended {time}"),
    /// History view: nothing recorded (or nothing matches the filters).
    HistNoPeriods => ("記録された期間はありません", "No periods recorded"),
    /// History view: the list is cut.
    HistShowingOf => ("{total}件中{shown}件を表示（CSVにはすべて含まれます）", "Showing {shown} of {total} (the CSV has them all)"),
    /// History view: a corrupt file was moved aside.
    HistMovedAside => ("履歴ファイル {path} は読めなかったため {aside} に移動し、新しい履歴を始めました。", "The history file {path} could not be read: it was moved to {aside} and a new history started."),
    /// History view: the file cannot be used.
    HistUnusable => ("履歴を記録できません（{error}）。監視は続いています。", "The history cannot be recorded ({error}). Monitoring goes on."),
    /// History view: history is off in the settings.
    HistOff => ("履歴は設定でオフになっています（[history] enabled = false）。", "History is off in the settings ([history] enabled = false)."),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(s: &str) -> Vec<String> {
        let mut out: Vec<String> = s
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(k, _)| k.to_owned()))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn every_message_exists_in_both_languages_with_the_same_placeholders() {
        for &m in Msg::ALL {
            let (ja, en) = (m.text(Lang::Ja), m.text(Lang::En));
            assert!(!ja.trim().is_empty(), "{m:?} has no Japanese text");
            assert!(!en.trim().is_empty(), "{m:?} has no English text");
            assert_eq!(
                placeholders(ja),
                placeholders(en),
                "{m:?} placeholders differ"
            );
        }
    }

    #[test]
    fn every_history_message_exists_in_both_languages_with_the_same_placeholders() {
        for &m in HistoryMsg::ALL {
            let (ja, en) = (m.text(Lang::Ja), m.text(Lang::En));
            assert!(!ja.trim().is_empty() && !en.trim().is_empty(), "{m:?}");
            assert_ne!(ja, en, "{m:?} is not translated");
            assert_eq!(placeholders(ja), placeholders(en), "{m:?}");
        }
    }

    #[test]
    fn japanese_texts_are_japanese() {
        let untranslated: Vec<_> = Msg::ALL
            .iter()
            .filter(|m| m.text(Lang::Ja) == m.text(Lang::En))
            .filter(|m| m.text(Lang::En).chars().any(|c| c.is_ascii_alphabetic()))
            .collect();
        // Only messages made of placeholders and codes, and a language's own name, may read the same.
        assert_eq!(
            untranslated,
            vec![
                &Msg::PairChanged,
                &Msg::ReasonHost,
                &Msg::FailureHttp,
                &Msg::UiLanguageEn,
                &Msg::NotifyTitle,
                &Msg::NotifyPairTitle,
                &Msg::ConfigIssueKey,
                &Msg::ChannelNtfy,
                &Msg::ChannelTelegram,
                &Msg::ChannelLine,
                // Exchanges' own names, written the same in both.
                &Msg::SetExchangeBitflyer,
                &Msg::SetExchangeCoincheck,
            ]
        );
    }

    /// Japanese sets Latin words and numbers into the sentence without spaces: a space may
    /// only part a label from its value (`最終確認 {time}`) or follow Latin punctuation.
    #[test]
    fn japanese_texts_have_no_stray_spaces() {
        let cjk = |c: char| {
            ('\u{3000}'..='\u{9fff}').contains(&c) || ('\u{ff00}'..='\u{ffef}').contains(&c)
        };
        for &m in Msg::ALL {
            let chars: Vec<char> = m.text(Lang::Ja).chars().collect();
            for (i, w) in chars.windows(3).enumerate() {
                let (a, b) = (w[0], w[2]);
                let stray = w[1] == ' '
                    && ((cjk(a) && (cjk(b) || b.is_ascii_alphanumeric()))
                        || (a.is_ascii_alphanumeric() && cjk(b)));
                assert!(
                    !stray,
                    "{m:?}: stray space at {i} in {:?}",
                    m.text(Lang::Ja)
                );
            }
        }
    }

    #[test]
    fn keys_are_unique_and_the_catalogue_is_complete() {
        let ja = catalogue(Lang::Ja);
        assert_eq!(ja.len(), Msg::ALL.len() + HistoryMsg::ALL.len());
        assert_eq!(ja["LevelMaintenance"], "メンテナンス中");
        assert_eq!(catalogue(Lang::En)["CheckNow"], "Check now");
    }

    /// The web UI's browser harness and its markup test use a copy of the catalogue; this keeps
    /// it current (`BBWATCH_BLESS=1 cargo test -p bbwatch-core` rewrites it).
    #[test]
    fn the_ui_copy_of_the_catalogue_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ui/dev/messages.js");
        let both = serde_json::json!({ "ja": catalogue(Lang::Ja), "en": catalogue(Lang::En) });
        let expected = format!(
            "// The app's ja/en message catalogue as `get_status` returns it, for the dev harness and\n\
             // the UI's tests. Generated from crates/bbwatch-core/src/i18n.rs: do not edit; run\n\
             // `BBWATCH_BLESS=1 cargo test -p bbwatch-core` after changing the catalogue.\n\
             export const MESSAGES = {};\n",
            serde_json::to_string_pretty(&both).unwrap()
        );
        if std::env::var_os("BBWATCH_BLESS").is_some() {
            std::fs::write(path, &expected).unwrap();
        }
        let actual = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            actual == expected,
            "ui/dev/messages.js is out of date: run BBWATCH_BLESS=1 cargo test -p bbwatch-core"
        );
    }

    #[test]
    fn locale_detection() {
        assert_eq!(Lang::from_locale("ja_JP.UTF-8"), Lang::Ja);
        assert_eq!(Lang::from_locale("en_US.UTF-8"), Lang::En);
        assert_eq!(Lang::from_locale("C"), Lang::En);
        assert_eq!(Lang::from_locale(""), Lang::En);
        assert_eq!("JA".parse::<Lang>().unwrap(), Lang::Ja);
        assert!("fr".parse::<Lang>().is_err());
    }

    #[test]
    fn fill_replaces_placeholders() {
        assert_eq!(
            Msg::EndedBody.fill(Lang::En, &[("duration", "5 min 2 s")]),
            "trading can resume (lasted 5 min 2 s)"
        );
    }
}
