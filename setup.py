"""Maps the repository's folders onto the one `ispflow` package (pyproject.toml has the rest).

The repository keeps the product's layout at its top level (engine/, tasks/, plugins/, …);
installed, each folder is a subpackage of `ispflow` and ispflow.py is the package's __init__.
"""

from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py
from setuptools.command.editable_wheel import editable_wheel

# Every top-level folder that is a Python package is a subpackage of ispflow, except these.
NOT_SHIPPED = {"tests", "bench", "build"}
SUBPACKAGES = sorted(
    folder.name
    for folder in Path(__file__).resolve().parent.iterdir()
    if (folder / "__init__.py").is_file() and folder.name not in NOT_SHIPPED
)


class BuildPackage(build_py):
    """ispflow.py becomes the package's __init__.py and __main__.py (`python -m ispflow`)."""

    def find_package_modules(self, package, package_dir):
        if package == "ispflow":
            return [("ispflow", "__init__", "ispflow.py"), ("ispflow", "__main__", "ispflow.py")]
        return super().find_package_modules(package, package_dir)


class EditableCheckout(editable_wheel):
    """An editable install puts the checkout on sys.path: there, ispflow.py is the package
    (its __path__ is the checkout), which no link tree or import finder reproduces."""

    def finalize_options(self):
        super().finalize_options()
        self.mode = "compat"


def packages() -> list[str]:
    found = find_packages(include=[f"{name}*" for name in SUBPACKAGES])
    return ["ispflow", *(f"ispflow.{name}" for name in found)]


def package_dirs() -> dict[str, str]:
    return {"ispflow": "."} | {f"ispflow.{name}": name for name in SUBPACKAGES}


assert Path("ispflow.py").is_file(), "run from the repository's top folder"
setup(
    packages=packages(),
    package_dir=package_dirs(),
    cmdclass={"build_py": BuildPackage, "editable_wheel": EditableCheckout},
)
