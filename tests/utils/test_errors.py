import pytest

from ppgan_lite.utils.errors import ConfigError, run_cli


def test_run_cli_turns_user_errors_into_one_line_and_exit_2(capsys):
    def broken():
        raise ConfigError("unknown config key 'epochz'. Did you mean 'epochs'?")

    assert run_cli(broken) == 2
    assert capsys.readouterr().err == "error: unknown config key 'epochz'. Did you mean 'epochs'?\n"
    assert run_cli(lambda: None) == 0
    assert run_cli(lambda code: code, 1) == 1


def test_make_dirs_names_a_file_in_the_way(tmp_path):
    from ppgan_lite.utils.fileio import make_dirs

    blocker = tmp_path / "afile"
    blocker.write_text("x")
    for path, expected in ((blocker, "is a file, not a folder"),
                           (blocker / "sub", "lies under a file")):
        with pytest.raises(ConfigError, match=expected) as info:
            make_dirs(str(path), "run folder")
        assert "\n" not in str(info.value) and "run folder" in str(info.value)
    assert make_dirs(str(tmp_path / "a" / "b")) == str(tmp_path / "a" / "b")
    assert (tmp_path / "a" / "b").is_dir()
