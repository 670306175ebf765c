from ppgan_lite.utils.errors import ConfigError, run_cli


def test_run_cli_turns_user_errors_into_one_line_and_exit_2(capsys):
    def broken():
        raise ConfigError("unknown config key 'epochz'. Did you mean 'epochs'?")

    assert run_cli(broken) == 2
    assert capsys.readouterr().err == "error: unknown config key 'epochz'. Did you mean 'epochs'?\n"
    assert run_cli(lambda: None) == 0
    assert run_cli(lambda code: code, 1) == 1
