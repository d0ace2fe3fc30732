"""Real local users for the exchange tests: created with ``useradd``, acted as with ``setpriv``, removed after.

The tests run as root on this project's machines (CI included); a student is
a uid of its own, so what the exchange sees (owners, modes, ctimes) is what a
lab server sees.  Names carry a random part, so two test runs on one machine
never share a user, and every user made is removed again.
"""

import os
import pwd
import secrets
import shutil
import subprocess
import tempfile


class Users:
    """Users made for one test module, and the world-traversable folder their homes live in.

    Parameters
    ----------
    roles : sequence of str
        One user per role; ``users[role]`` is the login name (``gx<hex><role>``).
    """

    def __init__(self, roles):
        if os.geteuid() != 0:
            raise AssertionError("the exchange tests act as several users: run them as root, as CI does")
        tag = secrets.token_hex(3)
        # Not under pytest's basetemp: that is 0700, and the students must reach the exchange.
        self.top = tempfile.mkdtemp(prefix="grader-exchange-")
        os.chmod(self.top, 0o755)
        self.names = {}
        try:
            for role in roles:
                name = f"gx{tag}{role}"
                subprocess.run(
                    ["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", name],
                    check=True,
                    capture_output=True,
                )
                self.names[role] = name
                home = self.home(role)
                os.makedirs(home)
                info = pwd.getpwnam(name)
                os.chown(home, info.pw_uid, info.pw_gid)
        except BaseException:
            self.remove()
            raise

    def __getitem__(self, role):
        return self.names[role]

    def uid(self, role):
        return pwd.getpwnam(self.names[role]).pw_uid

    def home(self, role):
        return os.path.join(self.top, "home", self.names[role])

    def run(self, role, argv, env, cwd, check=True, timeout=600, login=None):
        """Run ``argv`` as ``role``'s uid, groups and environment ``env`` (output merged).

        ``login`` is the name put in ``USER`` and ``LOGNAME`` (default: the user's own), which
        is whom nbgrader submits as.
        """
        name = self.names[role]
        proc = subprocess.run(
            ["setpriv", f"--reuid={name}", f"--regid={name}", "--init-groups", "--", *argv],
            env={**env, "USER": login or name, "LOGNAME": login or name},
            cwd=str(cwd),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"{name}: {argv} exited {proc.returncode}:\n{proc.stdout}")
        return proc

    def sh(self, role, script, env, cwd, check=True):
        """Run a shell ``script`` as ``role`` (her forgeries are plain shell commands)."""
        return self.run(role, ["/bin/sh", "-ec", script], env, cwd, check=check)

    def remove(self):
        """Remove every user made and the folder of their homes."""
        for name in self.names.values():
            subprocess.run(["userdel", name], capture_output=True)
        shutil.rmtree(self.top, ignore_errors=True)
