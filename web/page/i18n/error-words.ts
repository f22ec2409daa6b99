// The words of errors, for error-text.ts. English messages are shared/'s own (they are
// already English and name things exactly); Chinese ones are written here, keyed by the
// error's `key` (shared/errors.ts) or, for an error without one, its code. Hints are
// the app's in both languages: shared/'s hints are written for the CLI and name its flags.
// {placeholders} are the error's params, inserted unchanged.

/** Chinese messages, by key ("UNAUTHORIZED.refused") or by code ("UNAUTHORIZED"). A code's entry takes no params. */
export const ZH_MESSAGES: Record<string, string> = {
  "offline": "你已离线，因此无法获取 {what}。",
  "offline.plain": "你已离线，无法连接服务器。",
  "UNAUTHORIZED.refused": "{host} 拒绝访问 {what}",
  "UNAUTHORIZED.not_allowed": "{host} 拒绝访问 {what}：所填凭据无权拉取它",
  "UNAUTHORIZED.credentials": "{host} 拒绝了所填的用户名或密码",
  "UNAUTHORIZED.needs_credentials": "该仓库需要用户名和密码",
  "UNAUTHORIZED.no_challenge": "{host} 要求认证，但没有说明认证方式",
  "UNAUTHORIZED": "仓库拒绝访问",
  "NOT_FOUND.missing": "在 {host} 上找不到 {what}",
  "NOT_FOUND": "找不到所请求的内容",
  "RATE_LIMITED.wait": "{host} 正在限制请求频率（{seconds} 秒），无法获取 {what}",
  "RATE_LIMITED.host": "{host} 正在限制请求频率，无法获取 {what}",
  "RATE_LIMITED": "请求过于频繁，服务器暂时拒绝",
  "UPSTREAM.status": "获取 {what} 时，{host} 返回了 {status}",
  "UPSTREAM.unexpected": "获取 {what} 时，{host} 返回了意外的 {status}",
  "UPSTREAM": "仓库或代理返回了错误的应答",
  "NETWORK.unreachable": "获取 {what} 时无法连接 {host}",
  "NETWORK.api": "无法连接服务器",
  "NETWORK": "网络连接失败",
  "TRUNCATED": "连接在传输途中断开",
  "PLATFORM_NOT_AVAILABLE.offers": "{image} 不提供 {platform}；它提供：{offers}",
  "PLATFORM_NOT_AVAILABLE.none": "{image} 不提供 {platform}；它没有列出可运行的平台",
  "PLATFORM_NOT_AVAILABLE.choose": "{image} 是多平台镜像（{offers}），请选择一个平台",
  "PLATFORM_NOT_AVAILABLE": "镜像不提供所选的平台",
  "BAD_PLATFORM.invalid": "“{platform}” 不是有效的平台",
  "BAD_PLATFORM.unknown": "“{platform}” 不是可运行的平台：unknown/unknown 表示证明（attestation）",
  "BAD_PLATFORM": "平台无效",
  "BAD_REFERENCE.empty": "镜像引用为空",
  "BAD_REFERENCE.spaces": "“{reference}” 无效：镜像引用不能包含空格",
  "BAD_REFERENCE.image_id": "“{reference}” 无效：64 位十六进制字符串是镜像 ID，不是仓库名",
  "BAD_REFERENCE.two_at": "“{reference}” 无效：包含多个 “@”",
  "BAD_REFERENCE.digest": "摘要 “{digest}” 无效：摘要是 sha256: 加 64 个小写十六进制字符",
  "BAD_REFERENCE.tag": "标签 “{tag}” 无效：标签由 1 到 128 个字母、数字、“_”、“.” 或 “-” 组成，且不能以 “.” 或 “-” 开头",
  "BAD_REFERENCE.no_name": "“{reference}” 无效：缺少仓库名",
  "BAD_REFERENCE.too_long": "仓库名连同仓库地址长 {length} 个字符，上限是 {limit}",
  "BAD_REFERENCE.registry": "仓库地址 “{registry}” 无效：应为主机名或 IP 地址（IPv6 加方括号），可带 :端口",
  "BAD_REFERENCE.uppercase": "“{path}” 无效：仓库名必须是小写",
  "BAD_REFERENCE.empty_component": "“{path}” 无效：仓库路径中有空的部分（开头、结尾或连续的 “/”）",
  "BAD_REFERENCE.component": "“{path}” 无效：仓库路径的每一部分必须以小写字母或数字开头和结尾，中间只能有 “.”、“_”、“__” 或 “-”（发现 “{component}”）",
  "BAD_REFERENCE": "镜像引用无效",
  "BAD_DIGEST": "摘要无效",
  "BAD_MANIFEST": "仓库返回的清单不像容器镜像",
  "UNSUPPORTED_SCHEMA1": "该镜像使用旧的 schema 1 清单格式，不受支持",
  "FOREIGN_LAYER": "该镜像含有外部层（foreign layer），无法下载",
  "DIGEST_MISMATCH": "下载的数据与其 sha256 摘要不符",
  "SIZE_MISMATCH": "下载的数据大小与清单不符",
  "WRITE_FAILED": "写入文件失败",
  "NO_SPACE": "磁盘空间不足，下载已停止。已校验的部分保留在文件中。",
  "UNSUPPORTED_LAYER": "第 {layer} 层（{digest}）使用 zstd 压缩，此浏览器无法解压",
  "CANCELLED": "已停止",
  "UNKNOWN": "发生了意外错误",
};

/** Messages the app words itself in English too (shared/ has no such error). */
export const EN_MESSAGES: Record<string, string> = {
  "offline": "You are offline, so {what} could not be fetched.",
  "offline.plain": "You are offline, so the server cannot be reached.",
};

export const EN_HINTS: Record<string, string> = {
  "offline": "connect to the network and try again; an unfinished download continues where it stopped",
  "UNAUTHORIZED.credentials": "check the username and password (or access token) under Credentials, and that this account may pull the image",
  "UNAUTHORIZED.not_allowed": "check the username and password (or access token) under Credentials, and that this account may pull the image",
  "UNAUTHORIZED": "if the image is private, open Credentials and enter a username and password (or access token) for its registry; otherwise check the name",
  "NOT_FOUND": "check the name and the tag (tags are case-sensitive); images without a slash are Docker Hub's official ones (ubuntu = library/ubuntu)",
  "PLATFORM_NOT_AVAILABLE": "choose one of the platforms the image offers",
  "RATE_LIMITED": "wait a while and try again; entering credentials raises the registry's limit",
  "NETWORK": "check the network connection, then try again; an unfinished download can be resumed",
  "NO_SPACE": "free some disk space, then press Resume: the download continues from what was verified",
};

export const ZH_HINTS: Record<string, string> = {
  "offline": "连接网络后重试；未完成的下载会从停下的地方继续",
  "UNAUTHORIZED.credentials": "请检查“凭据”中的用户名和密码（或访问令牌），以及该账号是否有权拉取此镜像",
  "UNAUTHORIZED.not_allowed": "请检查“凭据”中的用户名和密码（或访问令牌），以及该账号是否有权拉取此镜像",
  "UNAUTHORIZED": "如果是私有镜像，请展开“凭据”，填写该仓库的用户名和密码（或访问令牌）；否则请检查镜像名称",
  "NOT_FOUND": "请检查名称和标签（标签区分大小写）；不含斜杠的名称是 Docker Hub 官方镜像（ubuntu 即 library/ubuntu）",
  "PLATFORM_NOT_AVAILABLE": "请从镜像提供的平台中选择一个",
  "RATE_LIMITED": "请稍后重试；填写凭据可以提高仓库的访问限额",
  "NETWORK": "请检查网络连接后重试；未完成的下载可以继续",
  "NO_SPACE": "请先释放磁盘空间，然后点击“继续”：下载会从已校验的部分接着进行",
  "BAD_REFERENCE": "写成 名称[:标签][@sha256:摘要]，例如 ubuntu:22.04 或 ghcr.io/owner/app:1.0",
  "BAD_PLATFORM": "写成 系统/架构[/变体]，例如 linux/amd64、linux/arm64 或 linux/arm/v7",
  "UPSTREAM": "仓库或其前面的代理出了问题；请稍后重试，并检查地址是否正确",
  "TRUNCATED": "请重试；未完成的下载可以继续",
  "DIGEST_MISMATCH": "请重试；如果一再出现，说明仓库或代理中的数据已损坏",
  "SIZE_MISMATCH": "请重试；如果一再出现，说明仓库或代理中的数据已损坏",
  "BAD_MANIFEST": "请检查镜像名称和标签",
  "UNSUPPORTED_LAYER": "请改为下载镜像 tar，用 docker、podman 或 `tar --zstd` 解开，或选择使用 gzip 层的标签",
};
