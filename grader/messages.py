"""The message catalogue: every bilingual text the grader shows.

Every text a student or an instructor reads (a note on a submission, a
verdict, a refusal of a download, a heading of the feedback page or of the
class report, a line printed by a command) is defined here, and nowhere
else in ``grader/``.  The modules refer to the texts by name.

Notes
-----
The convention:

- A message is Chinese first, then English, joined by ``" / "``::

      NOTEBOOK_EMPTY = "笔记本文件为空 / the notebook file is empty"

  After a closing full-width parenthesis the separator is ``"）/ "`` (the
  parenthesis brings its own space), as in the course's notebooks.
- A message with variable parts is a template for :meth:`str.format` with
  named fields (``{cells}``, ``{limit}``; conversions and format specs such
  as ``{major!r}`` or ``{points:g}`` are allowed)::

      NOTEBOOK_TOO_MANY_CELLS.format(cells=120, limit=100)

  Every field of the Chinese half appears in the English half too; a
  trailing detail (an exception's name, a list of files) may be given in
  the English half only.
- The texts are plain: escaping is the caller's.  A module that writes HTML
  passes ``html.escape``'d values and keeps its markup (``<h2>``, ``<th>``,
  ...) around the message; a module that prints to a terminal passes values
  through :func:`grader.ids.terminal`, as before.  Language-neutral
  parts (a path or student id before the message, ``✘``, a score such as
  ``(0/3)``) stay in the module too.
- The rare text shown on two lines instead of one (a paragraph in each
  language) is a :class:`Pair`.

Why: one place to review and correct the translations, a consistent form that a
test can check (``grader_tests/test_unit_messages.py``: every message is
bilingual, its fields agree, no other module of ``grader/`` holds Chinese
text), and tests that can refer to a message by name instead of repeating
its words.

Exceptions: ``grader/sandbox/kernel_child.py`` runs inside the sandboxed student kernel as a
standalone file (``python -I``, copied into the submission's working
directory); it cannot import this module and keeps its own copy of
:data:`CELL_TIMED_OUT` (the tests check that the copy is the same).  The
helper modules released to students beside their notebook must be
self-contained and keep their own texts.

See Also
--------
grader_tests.test_unit_messages : the checks of this convention.
"""

import re
import string
from typing import NamedTuple


class Pair(NamedTuple):
    """A text shown as two paragraphs, one per language (Chinese first).

    Attributes
    ----------
    zh : str
        The Chinese text.
    en : str
        The English text.
    """

    zh: str
    en: str


# --- reading a submitted notebook (grade.read_notebook) -------------------------------------------

NOTEBOOK_EMPTY = "笔记本文件为空 / the notebook file is empty"
NOTEBOOK_TOO_LARGE = "笔记本文件超过 {mb} MB / the notebook file is over {mb} MB"
NOTEBOOK_NOT_UTF8 = "笔记本不是 UTF-8 文本 / the notebook is not UTF-8 text"
NOTEBOOK_NOT_JSON = "笔记本不是有效的 JSON / the notebook is not valid JSON ({error}, line {line})"
NOTEBOOK_TOO_DEEP = "笔记本的 JSON 嵌套过深 / the notebook's JSON is nested too deeply"
NOTEBOOK_NOT_OBJECT = "笔记本不是 JSON 对象 / the notebook is not a JSON object"
NOTEBOOK_UNSUPPORTED_FORMAT = (
    "不支持的笔记本格式 nbformat={major!r}，需要 4 / unsupported nbformat {major!r}, 4 is needed"
)
NOTEBOOK_NO_CELLS = "笔记本没有单元格列表 / the notebook has no list of cells"
NOTEBOOK_TOO_MANY_CELLS = (
    "笔记本有 {cells} 个单元格，超过上限 {limit} / the notebook has {cells} cells, over the limit of {limit}"
)
NOTEBOOK_INVALID = "笔记本结构无效 / the notebook's structure is invalid ({error})"
NOTEBOOK_MALFORMED_CELL = "笔记本含有无效的单元格 / the notebook has a malformed cell"

# --- restoring the assignment's structure (grade.normalize) ---------------------------------------

LOCKED_CELL_DUPLICATE = "重复的只读单元格 {gid} 已删除 / duplicate locked cell {gid} removed"
LOCKED_CELL_RESTORED = "只读单元格 {gid} 被修改，已还原 / locked cell {gid} was edited and has been restored"
SOLUTION_CELL_DUPLICATE = (
    "解答单元格 {gid} 有多个副本，以最后一个为准 / solution cell {gid} is duplicated; the last copy counts"
)
UNKNOWN_GRADED_CELL = (
    "未知的评分单元格 {gid} 按普通单元格处理 / unknown graded cell {gid} treated as an ordinary cell"
)
DELETED_TEST_RESTORED = "被删除的测试 {gid} 已恢复 / deleted cell {gid} has been restored"
DELETED_CELL_RESTORED = "被删除的单元格 {gid} 已恢复 / deleted cell {gid} has been restored"

# --- running and probing (grade) ------------------------------------------------------------------

OUTPUT_DROPPED = "输出超出整个笔记本的限额，已省略 / output dropped: over the notebook's output budget"
OUTPUT_NOT_SHOWN = (
    "此输出的格式（{formats}）可能运行代码，评分页面不显示 / output not shown: its formats ({formats}) "
    "could run code in a grading page"
)
HIDDEN_TESTS_INTERRUPTED = "隐藏测试超时或被中断 / the hidden tests timed out or were interrupted"
HIDDEN_TESTS_COULD_NOT_RUN = "隐藏测试无法运行 / the hidden tests could not run: {error}"
KERNEL_STOPPED = "内核终止 / kernel stopped: {reason}"
NOT_RUN = "未运行 / not run"
# A callee stub's call refused (grader.pipeline.probe.Answerer): the student's kernel raises it.
CALLEE_FOREIGN_ARGUMENT = (
    "{name} 只对评分程序交给本次隐藏测试的数组（测试输入或之前的返回值）作答 / "
    "{name} answers only for arrays the grader handed to these hidden tests "
    "(their inputs or earlier answers); argument {where} is none of them"
)
# The sandboxed kernel's own copy (grader/sandbox/kernel_child.py cannot import this module).
CELL_TIMED_OUT = "单元格运行超时 / cell timed out"

# --- verdicts (judge) -----------------------------------------------------------------------------

NOT_GRADED = "未评分 / not graded"
ALL_HIDDEN_TESTS_PASSED = "全部 {total} 个隐藏测试通过 / all {total} hidden tests passed"
HIDDEN_TESTS_FAILED = "{failed}/{total} 个隐藏测试未通过 / {failed} of {total} hidden tests failed"
MORE_FAILURES = "… 另有 {more} 个 / and {more} more"
NO_USABLE_RESULT = "隐藏测试没有返回结果 / the hidden tests returned no usable result"
NO_RESULT = "没有结果 / no result"
NOT_DEFINED = "{exercise} 在其测试单元格处未定义 / {exercise} is not defined (at its test cell)"
CALL_RAISED = "调用出错 / raised {error}"
UNUSABLE_VALUE = (
    "返回值无法识别（只接受数字、字符串、列表、元组、字典和数值数组）/ unusable return value "
    "(only numbers, strings, lists, tuples, dicts and numeric arrays are accepted)"
)
UNCOMPARABLE_VALUE = "返回值无法比较 / return value cannot be compared ({error})"
# What a wrong result is told, by kind (``{v}``: the variable).
WRONG_TYPE = "{v} 的类型不对 / {v} has the wrong type"
WRONG_SHAPE = "{v} 的形状不对 / {v} has the wrong shape"
WRONG_KEYS = "{v} 的键不对 / {v} has the wrong keys"
WRONG_LENGTH = "{v} 的长度不对 / {v} has the wrong length"
WRONG_VALUES = "{v} 的数值不对 / {v} has wrong values"
WRONG_DTYPE = "{v} 的数据类型不对 / {v} has the wrong dtype"
RESULT_TEXT = {
    "type": WRONG_TYPE,
    "shape": WRONG_SHAPE,
    "keys": WRONG_KEYS,
    "length": WRONG_LENGTH,
    "values": WRONG_VALUES,
    "dtype": WRONG_DTYPE,
}

# --- finding and grading submissions (runner) -----------------------------------------------------

NO_ASSIGNMENT_FOLDER = "没有 {assignment} 文件夹 / no {assignment} folder in the submission"
FOLDER_LINKS_OUTSIDE = (
    "{assignment} 文件夹是指向提交之外的链接 / the {assignment} folder links outside the submission"
)
NOTEBOOK_RENAMED = (
    "笔记本被改名为 {found}，按 {expected} 评分 / notebook renamed to {found}; graded as {expected}"
)
SEVERAL_NOTEBOOKS = "没有 {expected}，且有多个笔记本 / no {expected} and several other notebooks: {found}"
NOTEBOOK_MISSING = "缺少笔记本 {expected} / the notebook {expected} is missing"
NOTEBOOK_LINKS_OUTSIDE = (
    "笔记本是指向提交之外的链接，不予评分 / the notebook links outside the submission and is not graded"
)
OTHER_FILES_IGNORED = "其他文件被忽略 / other files ignored: {files}"
TIMESTAMP_UNREADABLE = (
    "timestamp.txt 无法识别，已忽略 / timestamp.txt is unreadable and was ignored ({error})"
)
GRADER_ERROR = "评分程序出错 / grader error: {error}"
WORKER_DIED = (
    "评分进程意外终止（{how}）/ the grading worker died ({how}), "
    "e.g. out of memory; this submission was not graded"
)
FORK_FAILED = (
    "无法启动评分进程（系统或此用户的进程数已满：{error}），此提交未评分，请重新评分 / "
    "no process could be started to grade this submission (the machine or this user is out of "
    "processes: {error}); it was not graded: grade it again"
)
NOT_GRADED_GRADER_ERROR = "评分程序出错未评分 / not graded because of a grader error: {students}"
GRADES_NOT_RECORDED = "成绩无法写入 / could not record the grades: {error}"
NAMED_STUDENTS_INVALID = (
    "指定的学生编号无效，未评分任何提交 / invalid student id given; nothing was graded: {reasons}"
)

# --- student ids, names and the roster (students) -------------------------------------------------

ID_NOT_TEXT = "学生编号不是文本 / the student id is not text: {shown}"
ID_EMPTY = "学生编号为空 / the student id is empty"
ID_TOO_LONG = "学生编号超过 {limit} 个字符 / the student id is longer than {limit} characters: {shown}..."
ID_HAS_PATH = "学生编号含路径成分（/、\\ 或 ..） / the student id contains a path (/, \\ or ..): {shown}"
ID_HAS_CONTROL = "学生编号含控制字符 / the student id contains control characters: {shown}"
ID_BAD_START = "学生编号不能以“{first}”开头 / the student id must not start with '{first}': {shown}"
ID_BAD_CHARACTERS = (
    "学生编号只能含英文字母、数字、_、. 和 -，不能含“{bad}” / the student id may contain "
    "only ASCII letters, digits, _, . and -, not {bad!r}: {shown}"
)
NAME_TOO_LONG = "姓名超过 {limit} 个字符 / the name is longer than {limit} characters"
NAME_HAS_CONTROL = "姓名含控制字符 / the name contains control characters: {shown}"
ROSTER_NO_ID = "名单缺少 id 列 / the roster has no 'id' column (expected: {fields})"
ROSTER_IMPORTED = "已导入 {count} 名学生 / imported {count} student(s)"

# --- filing an LMS download (collect, unzip) ------------------------------------------------------

ZIP_UNREADABLE = "不是可读的 zip 文件 / not a readable zip file: {error}"
TOO_MANY_MEMBERS = (
    "下载包含 {members} 个条目，超过上限 {limit} / the download has {members} entries, "
    "more than the limit of {limit} (--max-members)"
)
DOWNLOAD_EMPTY = "下载中没有文件 / the download contains no files"
UNKNOWN_LMS = "未知的 LMS：{lms}（可选 canvas、moodle） / unknown LMS {lms!r} (canvas or moodle)"
LMS_NOT_DETECTED = (
    "无法从整个下载判断 LMS（并非所有文件都符合 Canvas 或 Moodle 的命名）；请用 --lms "
    "canvas 或 --lms moodle 指明 / cannot tell the LMS from the whole download (not every "
    "file follows Canvas's or Moodle's naming); name it with --lms canvas or --lms moodle"
)
NOT_LMS_NAMING = (
    "不符合 {lms} 的文件命名，未归档（不猜测属于谁） / does not follow {lms}'s "
    "file naming; not filed (its owner is not guessed)"
)
NOT_FILED = "未归档 / not filed: {reason}"
SYMLINK_NOT_EXTRACTED = "符号链接，不是笔记本，未解压 / a symbolic link, not a notebook; not extracted"
ARCHIVE_NOT_EXTRACTED = (
    "压缩包，不是笔记本，未解压（其中的文件不会被当作学生） / an archive, not a notebook; "
    "not unpacked (nothing inside it is filed)"
)
NOT_A_NOTEBOOK = "不是笔记本（.ipynb），未解压 / not a notebook (.ipynb); not extracted"
SHARED_STUDENT_ID = (
    "{accounts} 个不同的账号使用同一学生编号，未归档，之前收集的提交保持不变 / "
    "{accounts} different accounts share this student id; nothing filed, an earlier "
    "collected submission is left as it was"
)
NO_NOTEBOOK_FROM_STUDENT = (
    "下载中没有该学生的笔记本，未归档 / no notebook from this student in the download; nothing filed"
)
SEVERAL_NOTEBOOKS_FROM_STUDENT = (
    "有 {count} 个笔记本（{listed}），无法确定评哪一个，未归档；请学生只提交一个 / "
    "{count} notebooks ({listed}): which one counts is not guessed, nothing "
    "filed; ask the student to submit one"
)
DOWNLOAD_TOO_LARGE = (
    "笔记本共 {declared} 字节，超过上限 {limit} / the notebooks declare {declared} bytes "
    "together, more than the limit of {limit} (--max-total-mb)"
)
FILE_DATE_INVALID = "文件时间无效，未记录提交时间 / the file's date is invalid; no submission time recorded"
UNKNOWN_TIME_ZONE = "未知时区 / unknown time zone: {zone}"
NAME_NOT_RECORDED = "未记录姓名 / name not recorded: {reason}"
NO_SUCH_FILE = "文件不存在 / no such file"
ERROR = "错误 / error: {error}"
FILED_STUDENTS = "已归档 {count} 名学生 / filed {count} student(s) into {folder}"
MEMBER_ENCRYPTED = "已加密，未解压 / encrypted; not extracted"
MEMBER_COMPRESSION_UNSUPPORTED = (
    "不支持的压缩方式 {method}，未解压 / unsupported compression method {method}; not extracted"
)
MEMBER_DECLARED_TOO_LARGE = (
    "声明大小 {size} 字节，超过单个文件上限 {limit} / declares {size} bytes, "
    "more than the limit of {limit} per file (--max-member-mb)"
)
MEMBER_DECLARED_RATIO = (
    "声明的压缩比超过 {ratio}:1（疑似压缩炸弹），未解压 / declares a compression ratio "
    "above {ratio}:1 (a zip bomb?); not extracted (--max-ratio)"
)
MEMBER_HEADER_DAMAGED = "本地文件头损坏 / its local file header is damaged"
MEMBER_TRUNCATED = "数据被截断 / its data is truncated"
MEMBER_DAMAGED = "数据损坏 / its data is damaged: {error}"
MEMBER_MISMATCH = (
    "内容与文件头不符（大小 {written}，声明 {declared}，或校验和不同） / its content does not "
    "match its header (size {written}, declared {declared}, or the CRC differs)"
)
MEMBER_HEADER_LIES = (
    "解压后大于文件头声明的 {declared} 字节（文件头不实） / inflates to more than "
    "the {declared} bytes its header declares (the header lies)"
)
MEMBER_INFLATES_TOO_LARGE = (
    "解压后超过单个文件上限 {limit} 字节 / inflates to more than the "
    "limit of {limit} bytes per file (--max-member-mb)"
)
MEMBER_ZIP_BOMB = (
    "解压时压缩比超过 {ratio}:1（压缩炸弹），已停止 / inflating passed a "
    "compression ratio of {ratio}:1 (a zip bomb); stopped (--max-ratio)"
)

# --- the public self-checks (validate) ------------------------------------------------------------

CHECK_PASSED = "通过 / passed"
CHECK_FAILED = "未通过 / FAILED"
CELL_TYPE_CHANGED = "单元格类型被改变 / a cell's type was changed:"
READ_ONLY_CELL_EDITED = "只读单元格被修改 / a read-only cell was edited:"
CANNOT_BE_RUN = "无法运行 / cannot be run: {error}"
NO_SELF_CHECKS = "没有找到自检单元格 / no self-check cells found"
POINTS_UNIT = "分 / pt"
SELF_CHECKS_PASSED = "个自检通过 / self-checks passed"
GRADING_ADDS_HIDDEN_TESTS = "评分时另有隐藏测试 / grading adds hidden tests"

# --- the feedback page (feedback, feedback_page) --------------------------------------------------

CANNOT_READ_NOTEBOOK = "无法读取笔记本 / cannot read the notebook ({error})"
MODEL_DID_NOT_RUN = "模型无法运行 / the model did not run"
EXTRA_NOT_MADE = "反馈附加内容无法生成 / the feedback extra could not be made ({error})"
MODEL_TIMED_OUT = "模型运行超时 / the model timed out"
MODEL_RAISED = "模型出错 / the model raised {error}"
PART_NOT_SHOWN = "无法显示这一部分 / this part could not be shown: {reason}"
NO_GRADING_REPORT = (
    "没有评分报告，无法说明失败原因 / no grading report: the reasons for lost points cannot be shown"
)
NO_GRADES_IN_GRADEBOOK = (
    "成绩簿中没有这份提交的成绩 / no grades for this submission in the gradebook ({error})"
)
GRADED_BY_HAND = "人工评分 / graded by hand"
INSTRUCTOR_COMMENT = "教师评语 / Your instructor's comment:"
SEE_THE_CELL = "在笔记本中查看 / see it in the notebook"
AUTOGRADED = "自动评分 / autograded"
LATE_BREAKDOWN = (
    "扣分前 {raw:g}，迟交扣分 −{penalty:g}，最终得分 {final:g} / "
    "before the penalty {raw:g}, late submission penalty −{penalty:g}, final score {final:g}"
)
SCORE_AFTER_PENALTY = "总分已扣除迟交扣分 / the total is after the late submission penalty"
NOTES_ON_SUBMISSION = "说明 / Notes on your submission"
GRADING_SUMMARY = "评分摘要 / Grading summary"
SUMMARY_INTRO = Pair(
    "每个练习单独评分（所调用的其他函数用正确版本代替）；全部隐藏测试通过才得分。分数取自成绩簿，包括人工评分。",
    "Each exercise is graded on its own (the functions it calls are replaced by correct ones) and earns "
    "its points\nwhen all of its hidden tests pass. Scores are the gradebook's, manual grades included.",
)
EXERCISE = "练习 / exercise"
SCORE = "得分 / score"
RESULT = "结果 / result"
LANGUAGE_INFO_INVALID = (
    "笔记本元数据 language_info 无效，已按 Python 显示 / the notebook's language_info "
    "metadata is invalid; the code is shown as Python"
)
IMAGE_SIZES_IGNORED = "已忽略 {count} 个无效的图片尺寸 / {count} invalid image size(s) ignored"
CELL_TAGS_IGNORED = "已忽略 {count} 个单元格的无效标签 / invalid tags of {count} cell(s) ignored"
NOTEBOOK_NOT_SHOWN = (
    "你的笔记本无法显示，只显示评分摘要 / your notebook could not be shown, only the "
    "grading summary ({error})"
)

# --- the class report (report) --------------------------------------------------------------------

CLASS_REPORT = "班级报告 / Class report"
STUDENTS = "名学生 / students"
MEAN_SCORE = "平均分 / mean score"
MEAN_AFTER_PENALTY = (
    "总分与平均分均已扣除迟交扣分；{late} 份迟交，扣分前平均分 {raw_mean:.2f} / totals and the mean are "
    "after the late submission penalty; {late} late submission(s), mean before the penalty {raw_mean:.2f}"
)
SCORES_AND_PASS_RATES = "分数分布与各练习通过率 / Scores and pass rate per exercise"
COMMON_FAILURES = "各练习最常见的失败原因 / Most common failure reasons per exercise"
FULL_MARKS = "满分人数 / full marks"
COMMON_REASONS = "最常见原因（人数）/ most common reasons (students)"
UNGRADABLE_SUBMISSIONS = "无法评分的提交 / Submissions that could not be graded"
GRADING_TIME = "评分时间 / Grading time"
NONE = "无 / none"

# --- the score table (make table) -----------------------------------------------------------------

TABLE_TOTAL_AFTER_PENALTY = (
    "total = 扣分前得分 − 迟交扣分（formgrader 显示扣分前的总分）/ total = the score before the "
    "penalty − the late submission penalty (formgrader shows the totals before the penalty)"
)

# --- the student release (expected_outputs) -------------------------------------------------------

EXPECTED_OUTPUT = "预期输出 / Expected output"
EXPECTED_OUTPUT_INTRO = (
    "正确的解答在上面的单元格中打印以下内容 / a correct solution prints this in the cells above:"
)

# --- resource limits (limits, nbgrader_ext.autograde) ---------------------------------------------

LIMIT_UNKNOWN = (
    "未知的限制 {name!r}（来自 {source}），可用的限制有：{known} / "
    "unknown limit {name!r} (from {source}); known: {known}"
)
LIMIT_NOT_WHOLE = (
    "限制 {name}（来自 {source}）必须是正整数，而不是 {value!r} / "
    "limit {name} (from {source}) must be a positive whole number, not {value!r}"
)
LIMIT_NOT_POSITIVE = (
    "限制 {name}（来自 {source}）必须是有限的正数，而不是 {value!r} / "
    "limit {name} (from {source}) must be a positive finite number, not {value!r}"
)
LIMITS_TRAIT_DEPRECATED = (
    "c.CourseAutograde.limits 已弃用，请在 nbgrader_config.py 中改用 c.Limits.<名称> / "
    "c.CourseAutograde.limits is deprecated: set c.Limits.<name> in "
    "nbgrader_config.py instead (its items still apply, as --limit would)"
)

# --- the sandbox's isolation (sandbox.launch) -----------------------------------------------------

SANDBOX_NO_BWRAP = (
    "未安装 bubblewrap：学生的代码将能读取课程文件、其他学生的作业和评分规格，因此拒绝评分。"
    "请安装 bubblewrap（例如 sudo apt-get install bubblewrap）/ "
    "bubblewrap is not installed: students' code could read the course, other students' work and "
    "the grading specs, so the grader refuses to run it. Install bubblewrap (e.g. sudo apt-get "
    "install bubblewrap)"
)
SANDBOX_NO_USERNS = (
    "bubblewrap 无法启动（非特权用户命名空间被禁用）：学生的代码将能读取课程文件、其他学生的作业和评分规格，"
    "因此拒绝评分。请以 root 评分，或启用非特权用户命名空间（Ubuntu：sudo sysctl "
    "kernel.apparmor_restrict_unprivileged_userns=0；Debian：sudo sysctl kernel.unprivileged_userns_clone=1）/ "
    "bubblewrap cannot start here (unprivileged user namespaces are disabled): students' code could "
    "read the course, other students' work and the grading specs, so the grader refuses to run it. "
    "Grade as root, or enable unprivileged user namespaces (Ubuntu: sudo sysctl "
    "kernel.apparmor_restrict_unprivileged_userns=0; Debian: sudo sysctl kernel.unprivileged_userns_clone=1)"
)
SANDBOX_HOW_TO_OPT_IN = (
    "若明白风险仍要评分：--allow-unisolated，或设置 GRADER_ALLOW_UNISOLATED=1 / "
    "to grade anyway, knowing the risk: --allow-unisolated, or GRADER_ALLOW_UNISOLATED=1"
)
SANDBOX_OPTED_OUT = (
    "警告：在没有隔离的情况下运行学生代码（按要求）：{reason} / "
    "WARNING: running students' code without isolation, as asked: {reason}"
)
KERNELS_WARM = (
    "内核：预热（由一个 zygote 为每份作业派生一个同样隔离的内核）/ "
    "kernels: warm (a zygote forks each submission's kernel, confined as a cold one)"
)
KERNELS_COLD = (
    "内核：冷启动（每份作业一个 bubblewrap 和新的解释器）/ "
    "kernels: cold (bubblewrap and a fresh interpreter per submission)"
)
PROTECTION_NO_USERNS = (
    "内核不能创建用户命名空间、挂载或切换命名空间，因而无法挂载不受限的 tmpfs（seccomp）/ "
    "no user namespace, mount or setns for the kernel, so no tmpfs of its own without bounds (seccomp)"
)
SHARED_UID = (
    "内核共用你的 uid（{reason}）；每份作业一个 uid 需要 newuidmap 和 /etc/subuid、/etc/subgid 中的范围 / "
    "kernels share your uid ({reason}); a uid per submission needs newuidmap and a range in "
    "/etc/subuid and /etc/subgid (README.md, Threat model)"
)
WARM_KERNEL_FALLBACK = (
    "预热内核不可用，本作业改用冷启动内核（隔离相同）/ "
    "the warm kernel was not available, so this submission got a cold one (the same isolation): {reason}"
)

# --- nbgrader's autograde step (nbgrader_ext.autograde) ------------------------------------------

AUTOGRADE_FAILED = (
    "评分 {student} 失败（退出状态 {status}）/ grading {student} failed (exit status {status}): {stderr}"
)

# --- the command line (cli, assignment) -----------------------------------------------------------

NAME_THE_ASSIGNMENT = "请指定作业 / name the assignment: one of {known}"
SOLUTIONS_FILLED = "已填入参考解答 / filled the reference solutions into {notebook}"
RELEASED_TO = "已发布 / released to {folder}"
RELEASE_STALE = (
    "{folder} 已过期，请运行 make release 并提交 / {folder} is stale; run `make release` "
    "and commit. Differs: {files}"
)
FEEDBACK_NOT_THROUGH_EXCHANGE = (
    "{student} 未通过交换区提交（没有 submission_secret.txt，例如由 make collect 或 make demo 归档），"
    "其反馈无法经交换区发布，请通过 LMS 返还 {page} / {student} did not submit through the exchange "
    "(no submission_secret.txt: filed by make collect or make demo, say), so the exchange cannot deliver "
    "their feedback; return {page} through the LMS"
)
# --- the course root's privacy (course.privacy, cli) ----------------------------------------------

COURSE_READABLE = (
    "拒绝评分：其他用户可以读取课程的私密文件：{paths}。请运行 python -m grader secure（make 的评分目标会自动运行），"
    "或 chmod go-rwx {chmod} / refusing to grade: other users can read the course's private files: "
    "{paths}. Run `python -m grader secure` (the make targets that grade run it), or "
    "chmod go-rwx {chmod}"
)
MADE_PRIVATE = "已设为私有 / made private: {path}"

# --- the exchange's Collect (nbgrader_ext.exchange, nbgrader_ext.inbound) --------------------------

KIND_SYMLINK = "符号链接 / a symbolic link"
KIND_FIFO = "命名管道 / a named pipe (fifo)"
KIND_DEVICE = "设备文件 / a device file"
KIND_SOCKET = "套接字 / a socket"
KIND_OTHER = "非普通文件 / not a regular file"
EXCHANGE_BAD_NAME = (
    "交换区收件箱中的 {name} 不含有效的学生 ID，已拒收：{reason} / {name} in the exchange's inbound "
    "folder names no valid student id; refused: {reason}"
)
EXCHANGE_NO_SUCH_USER = (
    "{student}：本机没有此用户，无法核对提交者，已拒收 {name} / {student}: no user of that name on this "
    "machine, so the submitter cannot be checked; {name} refused"
)
EXCHANGE_REFUSED = "{student}：已拒收 {name}：{reason} / {student}: {name} refused: {reason}"
EXCHANGE_NOT_A_FOLDER = "它不是文件夹，而是{kind} / it is not a folder but {kind}"
EXCHANGE_FOLDER_OWNER = (
    "它属于用户 {owner}，不属于该学生（以他人名义提交？）/ it belongs to user {owner}, not to this "
    "student (submitted in another's name?)"
)
EXCHANGE_TOO_MANY_ENTRIES = "条目超过 {limit} 个 / it has more than {limit} entries"
EXCHANGE_TOO_DEEP = "文件夹嵌套超过 {limit} 层 / its folders are nested more than {limit} deep"
EXCHANGE_TOO_LARGE = "文件总大小超过 {mb:g} MB / its files add up to more than {mb:g} MB"
EXCHANGE_ENTRY_SKIPPED = "{student}：{path} 未归档：{reason} / {student}: {path} not filed: {reason}"
EXCHANGE_ENTRY_KIND = "它是{kind}，只归档普通文件 / it is {kind}; only regular files are filed"
EXCHANGE_ENTRY_OWNER = "它属于用户 {owner}，不属于该学生 / it belongs to user {owner}, not to this student"
EXCHANGE_ENTRY_HARD_LINK = "它是硬链接（{links} 个链接）/ it is a hard link ({links} links)"
EXCHANGE_ENTRY_TOO_LARGE = "文件超过 {mb:g} MB / the file is over {mb:g} MB"
EXCHANGE_ENTRY_CHANGED = (
    "它在检查与读取之间被更换或删除 / it was swapped or removed between being checked and being read"
)
EXCHANGE_BAD_SECRET = (
    "它不是 nbgrader submit 写的密钥，反馈将无法经交换区发布 / it is not a secret nbgrader submit "
    "wrote, so the exchange cannot deliver this student's feedback"
)
EXCHANGE_COLLECTING = (
    "收取 {student} 的提交（到达时间 {time}）/ collecting {student}'s submission (arrived {time})"
)
EXCHANGE_UPDATING = (
    "更新 {student} 的提交（到达时间 {time}）/ updating {student}'s submission (arrived {time})"
)
EXCHANGE_ALREADY_COLLECTED = (
    "{student} 的提交已收取，更新请加 --update / {student}'s submission is already collected; use "
    "--update to update it"
)
EXCHANGE_NOTHING_NEWER = "{student} 没有更新的提交 / no newer submission of {student}"
EXCHANGE_NO_SUBMISSIONS = "交换区中没有 {assignment} 的提交 / no submissions of {assignment} in the exchange"
EXCHANGE_SOME_REFUSED = (
    "交换区中有 {count} 项被拒收（见上文），其余提交已收取 / {count} item(s) of the exchange were refused "
    "(see above); the other submissions are collected"
)
EXCHANGE_OWNER_UNCHECKED = (
    "警告：未核对提交者（check_owner = False）：共享文件夹交换区无法区分学生 / WARNING: submitters are "
    "not checked (check_owner = False): a shared-folder exchange cannot tell students apart"
)
FEEDBACK_NOT_A_FILE = (
    "{student} 的反馈 {page} 不是普通文件（{kind}），未发布 / {student}'s feedback {page} is not a "
    "regular file ({kind}); not released"
)
FEEDBACK_NOT_A_NOTEBOOK = (
    "{page} 不是本作业笔记本的反馈页，未发布 / {page} is no feedback page of this assignment's "
    "notebooks; not released"
)

REGISTERED = (
    "已在成绩册中登记 {assignment}（笔记本、评分单元与分值）/ registered {assignment} in the gradebook "
    "(notebook, graded cells and points)"
)
RELEASE_UP_TO_DATE = "{folder} 与 {source} 一致 / {folder} is up to date with {source}"
WROTE = "已写入 / wrote {path}"
CLASS_REPORT_WRITTEN = "班级报告 / class report: {path}"
GRADED_SUBMISSIONS = "已评分 {count} 份提交 / graded {count} submission(s)"
OTHER_GRADES_RECORDED = (
    "错误：{error}；其他学生的成绩已记录 / error: {error}; the other students' grades are recorded"
)
UNKNOWN_ASSIGNMENT = (
    "未知的作业 {assignment!r} / unknown assignment {assignment!r} "
    "(known: {known}; an assignment needs source/<id>/ and grading/<id>/spec.py)"
)

# --- the grading spec and the demo (spec, submissions) --------------------------------------------

SPEC_CASES_DIFFER = (
    "评分规格的练习与隐藏测试不一致 / the spec's exercises and hidden cases differ on: {names}"
)
SPEC_BAD_CALLEES = (
    "评分规格中 {exercise} 的被调用函数必须是本作业的练习 / "
    "the spec's callees of {exercise} must be exercises of the assignment"
)
SPEC_BAD_FEEDBACK = (
    "评分规格的 feedback 缺少 {missing} / "
    "the spec's feedback extra lacks {missing} (see grader.spec.FeedbackExtra)"
)
SPEC_NO_CASES = "评分规格中每个练习至少需要一个隐藏测试 / the spec needs at least one hidden case for every exercise: {names}"
SPEC_DRAW_LABELS = (
    "评分规格的 draw(seed) 给出的隐藏测试（标签、数量）必须与固定的 cases 相同：{names} / "
    "the hidden cases the spec's draw(seed) makes must have the labels, in order, of its fixed cases: {names}"
)
SPEC_BAD_OPEN_CALLEES = (
    "评分规格中 {exercise} 的 open_callees 必须是它的被调用函数 / "
    "the spec's open_callees of {exercise} must be among its callees"
)
SPEC_UNKNOWN_EXERCISES = (
    "评分规格的 short_names 或 demo 提到了不是练习的名字 / "
    "the spec's short_names or demo name what is no exercise: {names}"
)
DEMO_EDIT_NOT_ONCE = (
    "演示学生 {student} 要替换的文本在练习 {exercise} 的解答中出现 {count} 次，而不是一次 / "
    "the text demo student {student} replaces occurs {count} times in the solution of "
    "{exercise}, not once: {old!r}"
)
DEMO_STUDENT_RESERVED = (
    "演示学生 {student} 是引擎自带的，评分规格的 demo 不能再定义 / "
    "demo student {student} is the engine's own; the spec's demo cannot define it"
)


_SEPARATOR = re.compile(r" / |(?<=）)/ ")


def halves(template):
    """``(chinese, english)``: a message's two halves, split at its one separator.

    Parameters
    ----------
    template : str
        A message of this module (Chinese, ``" / "`` or ``"）/ "``, English), formatted or not.

    Returns
    -------
    tuple of str
    """
    chinese, english = _SEPARATOR.split(template, maxsplit=1)
    return chinese, english


def two_lines(template, **fields):
    """``template`` formatted with Chinese and English on lines of their own.

    For the terminal and nbgrader's Validate dialog, where one long bilingual line is cut or
    scrolls sideways.  A field only the English half names is filled there.
    """
    chinese, english = halves(template)
    return chinese.format(**fields) + "\n" + english.format(**fields)


def catalogue():
    """Every message of this module, by name.

    Returns
    -------
    dict of str to (str or Pair)
        The upper-case module constants that are texts (a ``str`` template
        or a :class:`Pair`); :data:`RESULT_TEXT` only groups some of them
        and is not included.
    """
    return {
        name: value for name, value in globals().items() if name.isupper() and isinstance(value, (str, Pair))
    }


def fields(template):
    """The names of the ``str.format`` fields of ``template``.

    Parameters
    ----------
    template : str
        A message (or one half of it).

    Returns
    -------
    set of str
        The field names, without conversion or format spec (``{major!r}``
        and ``{points:g}`` give ``"major"`` and ``"points"``).
    """
    return {
        name.split(".")[0].split("[")[0]
        for _, name, _, _ in string.Formatter().parse(template)
        if name is not None
    }
