from tests.conftest import run_tutor


def test_list_shows_the_book_chapters():
    result = run_tutor("list")
    assert result.returncode == 0, result.stderr
    for task in ("task7.1", "task7.3", "task8.1", "task8.5"):
        assert task in result.stdout
