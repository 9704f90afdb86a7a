"""Issue 15: AssignmentEvent becomes a core StatusHistory; its `verb` is the shared `action`."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("enforcement", "0002_finding_case")]

    operations = [
        migrations.RenameField(model_name="assignmentevent", old_name="verb", new_name="action"),
    ]
